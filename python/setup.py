"""`pip install ./python`: the libgru package with its _libgru extension, built with
CMake over the library sources one level up (see cmake_build.py). The repository
root's setup.py builds the same package for `pip install .`."""
import os
import runpy

from setuptools import Extension, setup

_here = os.path.dirname(os.path.abspath(__file__))
CMakeBuild = runpy.run_path(os.path.join(_here, "cmake_build.py"))["CMakeBuild"]

setup(ext_modules=[Extension("libgru._libgru", sources=[])], cmdclass={"build_ext": CMakeBuild})
