# io/: PyTorch (safetensors, via cJSON) and ONNX (via protobuf-c) readers.
# Included at the end of the top-level CMakeLists.txt. Each dependency is an
# option; when it is off or not found the readers still build and return
# GRU_E_UNSUPPORTED "libgru was built without ...".
option(GRU_WITH_JSON "Read JSON (safetensors headers) with cJSON (libcjson-dev)" ON)
option(GRU_WITH_ONNX "Read ONNX models with protobuf-c (libprotobuf-c-dev, protobuf-c-compiler)" ON)
option(GRU_BUILD_FUZZ "Build the libFuzzer targets (needs clang)" OFF)

# cJSON, shared with the Keras JSON reader: the same cache variables
# (GRU_CJSON_INCLUDE, GRU_CJSON_LIB) the top-level detection sets, so
# find_* here reuses its result; wrapped as the imported target gru_cjson.
if(GRU_WITH_JSON AND NOT TARGET gru_cjson)
  find_path(GRU_CJSON_INCLUDE cjson/cJSON.h)
  find_library(GRU_CJSON_LIB cjson)
  if(GRU_CJSON_INCLUDE AND GRU_CJSON_LIB)
    add_library(gru_cjson INTERFACE IMPORTED)
    set_target_properties(gru_cjson PROPERTIES
      INTERFACE_INCLUDE_DIRECTORIES "${GRU_CJSON_INCLUDE}"
      INTERFACE_LINK_LIBRARIES "${GRU_CJSON_LIB}")
  else()
    message(STATUS "cJSON not found (apt-get install libcjson-dev): JSON readers disabled")
  endif()
endif()

# protobuf-c and the onnx.proto schema. The schema comes from the installed
# `onnx` Python package when there is one (onnx/onnx.proto), else from the
# copy in third_party/onnx (Apache-2.0, with its LICENSE). GRU_ONNX_PROTO
# overrides both.
set(GRU_HAVE_ONNX 0)
if(GRU_WITH_ONNX)
  find_path(GRU_PROTOBUFC_INCLUDE_DIR protobuf-c/protobuf-c.h)
  find_library(GRU_PROTOBUFC_LIBRARY protobuf-c)
  find_program(GRU_PROTOC_C protoc-c)
  if(NOT GRU_ONNX_PROTO)
    find_program(GRU_PYTHON3 python3)
    if(GRU_PYTHON3)
      execute_process(COMMAND ${GRU_PYTHON3} -c
        "import os, onnx; print(os.path.join(os.path.dirname(onnx.__file__), 'onnx.proto'))"
        OUTPUT_VARIABLE _gru_onnx_proto OUTPUT_STRIP_TRAILING_WHITESPACE
        ERROR_QUIET RESULT_VARIABLE _gru_onnx_rc)
      if(_gru_onnx_rc EQUAL 0 AND EXISTS "${_gru_onnx_proto}")
        set(GRU_ONNX_PROTO "${_gru_onnx_proto}")
      endif()
    endif()
    if(NOT GRU_ONNX_PROTO)
      set(GRU_ONNX_PROTO "${PROJECT_SOURCE_DIR}/third_party/onnx/onnx.proto")
    endif()
  endif()
  if(GRU_PROTOBUFC_INCLUDE_DIR AND GRU_PROTOBUFC_LIBRARY AND GRU_PROTOC_C AND EXISTS "${GRU_ONNX_PROTO}")
    set(GRU_HAVE_ONNX 1)
    set(_gru_pb_dir "${CMAKE_CURRENT_BINARY_DIR}/onnx_pb")
    file(MAKE_DIRECTORY "${_gru_pb_dir}")
    # protoc-c names its outputs after the .proto file; copy it to a fixed name.
    add_custom_command(
      OUTPUT "${_gru_pb_dir}/onnx.pb-c.c" "${_gru_pb_dir}/onnx.pb-c.h"
      COMMAND ${CMAKE_COMMAND} -E copy "${GRU_ONNX_PROTO}" "${_gru_pb_dir}/onnx.proto"
      COMMAND ${GRU_PROTOC_C} --proto_path=${_gru_pb_dir} --c_out=${_gru_pb_dir} ${_gru_pb_dir}/onnx.proto
      DEPENDS "${GRU_ONNX_PROTO}"
      COMMENT "protoc-c: onnx.proto (${GRU_ONNX_PROTO})")
    # Generated code: its own target, warnings relaxed.
    add_library(gru_onnx_pb STATIC "${_gru_pb_dir}/onnx.pb-c.c")
    target_include_directories(gru_onnx_pb PUBLIC "${_gru_pb_dir}" "${GRU_PROTOBUFC_INCLUDE_DIR}")
    target_link_libraries(gru_onnx_pb PUBLIC ${GRU_PROTOBUFC_LIBRARY})
    target_compile_options(gru_onnx_pb PRIVATE -w)
    set_target_properties(gru_onnx_pb PROPERTIES POSITION_INDEPENDENT_CODE ON)
    message(STATUS "ONNX reader: protobuf-c, schema ${GRU_ONNX_PROTO}")
  else()
    message(STATUS "protobuf-c or onnx.proto not found (apt-get install libprotobuf-c-dev "
                   "protobuf-c-compiler): ONNX reader disabled")
  endif()
endif()

add_library(gru_io_torch_onnx STATIC ${PROJECT_SOURCE_DIR}/io/io_common.c
  ${PROJECT_SOURCE_DIR}/io/safetensors.c ${PROJECT_SOURCE_DIR}/io/torch_gru.c
  ${PROJECT_SOURCE_DIR}/io/onnx_gru.c)
target_include_directories(gru_io_torch_onnx PUBLIC ${PROJECT_SOURCE_DIR}/include
  PRIVATE ${PROJECT_SOURCE_DIR}/io ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(gru_io_torch_onnx PUBLIC gru)
target_compile_options(gru_io_torch_onnx PRIVATE ${GRU_WARNINGS})
set_target_properties(gru_io_torch_onnx PROPERTIES C_VISIBILITY_PRESET hidden
  POSITION_INDEPENDENT_CODE ON)
if(TARGET gru_cjson)
  target_link_libraries(gru_io_torch_onnx PRIVATE gru_cjson)
  target_compile_definitions(gru_io_torch_onnx PRIVATE GRU_HAVE_CJSON=1)
else()
  target_compile_definitions(gru_io_torch_onnx PRIVATE GRU_HAVE_CJSON=0)
endif()
if(GRU_HAVE_ONNX)
  target_link_libraries(gru_io_torch_onnx PRIVATE gru_onnx_pb)
endif()
target_compile_definitions(gru_io_torch_onnx PRIVATE GRU_HAVE_ONNX=${GRU_HAVE_ONNX})

# the gru command's format table (cli/formats.c) lists these loaders
foreach(_c gru_cli gru_cmd gru-cli)
  if(TARGET ${_c})
    target_link_libraries(${_c} PRIVATE gru_io_torch_onnx)
    target_compile_definitions(${_c} PRIVATE GRU_CLI_HAVE_TORCH_ONNX)
  endif()
endforeach()

if(TARGET gru_tests)
  target_link_libraries(gru_tests PRIVATE gru_io_torch_onnx)
  target_include_directories(gru_tests PRIVATE ${PROJECT_SOURCE_DIR}/io)
endif()

# libFuzzer targets: cmake -DGRU_BUILD_FUZZ=ON -DCMAKE_C_COMPILER=clang
if(GRU_BUILD_FUZZ)
  # coverage for the code under test, not only the harness
  foreach(_t gru gru_io_torch_onnx gru_onnx_pb)
    if(TARGET ${_t})
      target_compile_options(${_t} PRIVATE -fsanitize=fuzzer-no-link,address,undefined -g)
    endif()
  endforeach()
  foreach(_f safetensors onnx)
    add_executable(fuzz_${_f} ${PROJECT_SOURCE_DIR}/tests/fuzz/fuzz_${_f}.c)
    target_link_libraries(fuzz_${_f} PRIVATE gru_io_torch_onnx)
    target_include_directories(fuzz_${_f} PRIVATE ${PROJECT_SOURCE_DIR}/io)
    target_compile_options(fuzz_${_f} PRIVATE -fsanitize=fuzzer,address,undefined -g)
    target_link_options(fuzz_${_f} PRIVATE -fsanitize=fuzzer,address,undefined)
  endforeach()
endif()
