"""`pip install .` from the repository root: the same Python package as
`pip install ./python` (sources in python/libgru, the extension built by
python/cmake_build.py over this tree); build files go to build-python/."""
import os
import runpy

from setuptools import Extension, setup

_here = os.path.dirname(os.path.abspath(__file__))
CMakeBuild = runpy.run_path(os.path.join(_here, "python", "cmake_build.py"))["CMakeBuild"]
os.makedirs(os.path.join(_here, "build-python"), exist_ok=True)

setup(ext_modules=[Extension("libgru._libgru", sources=[])], cmdclass={"build_ext": CMakeBuild},
      options={"build": {"build_base": "build-python"}, "egg_info": {"egg_base": "build-python"}})
