"""The build_ext command shared by python/setup.py (`pip install ./python`) and the
repository root's setup.py (`pip install .`): configures python/CMakeLists.txt, which
adds the library's own CMake project (core, per-ISA kernels with their own flags, the
optional io/ readers this machine's libraries allow), builds the _libgru module and
copies it into the package."""
import os
import shutil
import subprocess
import sys
import sysconfig

from setuptools.command.build_ext import build_ext

PYDIR = os.path.dirname(os.path.abspath(__file__))


def find_root():
    for cand in (os.environ.get("LIBGRU_ROOT"), os.path.join(PYDIR, "..")):
        if cand and os.path.exists(os.path.join(cand, "include", "gru.h")):
            return os.path.abspath(cand)
    raise RuntimeError("libgru sources not found: build from the repository (pip install . "
                       "or pip install ./python) or set LIBGRU_ROOT")


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        root = find_root()
        bdir = os.path.abspath(os.path.join(self.build_temp, "cmake"))
        os.makedirs(bdir, exist_ok=True)
        cfg = ["cmake", "-S", PYDIR, "-B", bdir, "-DCMAKE_BUILD_TYPE=Release",
               f"-DGRU_ROOT={root}", f"-DPython3_EXECUTABLE={sys.executable}",
               f"-DCMAKE_LIBRARY_OUTPUT_DIRECTORY={bdir}/out"]
        subprocess.check_call(cfg)
        jobs = os.environ.get("LIBGRU_BUILD_JOBS", str(os.cpu_count() or 2))
        subprocess.check_call(["cmake", "--build", bdir, "--target", "_libgru", "-j", jobs])
        suffix = sysconfig.get_config_var("EXT_SUFFIX")
        built = os.path.join(bdir, "out", "_libgru" + suffix)
        dest = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copyfile(built, dest)
