"""libgru.load on every format the C library reads, against the program that wrote
the file: Keras .h5 / .keras / to_json()+save_weights() made here with tf-keras and
compared with Keras' predict; .grum written by libgru from that Keras model;
PyTorch safetensors made here by torch.nn.GRU (through Debian's /usr/bin/python3
when this interpreter has no torch) and compared with torch's outputs, plus the
committed torch / ONNX files of tests/golden/files with the outputs torch and
onnxruntime computed for them; refused and corrupt files raise ValueError with
the C message."""
import json
import os
import struct
import subprocess
import sys

import numpy as np
import pytest

import libgru

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
FILES = os.path.join(ROOT, "tests", "golden", "files")
T, F = 7, 3


def read_safetensors(path):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    head = json.loads(b[8:8 + n])
    dts = {"F32": np.float32, "F64": np.float64, "I32": np.int32, "I64": np.int64}
    out = {}
    for k, v in head.items():
        if k == "__metadata__":
            continue
        s, e = v["data_offsets"]
        out[k] = np.frombuffer(b[8 + n + s:8 + n + e], dts[v["dtype"]]).reshape(v["shape"])
    return out


@pytest.fixture(scope="module")
def keras_model():
    tf = pytest.importorskip("tensorflow")
    import tf_keras
    L = tf.compat.v1.keras.layers
    km = tf_keras.Sequential([
        tf_keras.Input((T, F)),
        L.GRU(4, return_sequences=True, name="g1"),
        tf_keras.layers.Bidirectional(L.GRU(3, reset_after=True, recurrent_activation="sigmoid"),
                                      name="bi"),
        tf_keras.layers.Dense(2, activation="tanh", name="head")])
    rng = np.random.default_rng(0)
    km.set_weights([rng.uniform(-0.5, 0.5, w.shape).astype("float32") for w in km.get_weights()])
    x = rng.normal(size=(5, T, F)).astype("float32")
    return km, x, km.predict(x, verbose=0)


@pytest.mark.parametrize("kind", ["h5", "keras", "json", "grum"])
def test_keras_files(kind, keras_model, tmp_path):
    km, x, ky = keras_model
    if kind == "json":
        p = tmp_path / "model.json"
        p.write_text(km.to_json())
        km.save_weights(str(tmp_path / "w.h5"))
        m = libgru.load(p, weights=tmp_path / "w.h5")
    elif kind == "grum":
        km.save(str(tmp_path / "m.h5"))
        libgru.load(tmp_path / "m.h5").save(tmp_path / "m.grum")
        m = libgru.load(tmp_path / "m.grum")
        assert m.format == "native"
    else:
        p = str(tmp_path / f"model.{kind}")
        km.save(p)
        m = libgru.load(p)
    np.testing.assert_allclose(m(x), ky, rtol=2e-5, atol=2e-6)
    assert [n["class_name"] for n in m.nodes][-3:] == ["GRU", "Bidirectional", "Dense"]
    if kind in ("h5", "keras"):
        # float64 from the same float32 file: the weights widened; Keras' f32 outputs to ~1e-6
        m64 = libgru.load(tmp_path / f"model.{kind}", dtype="float64")
        np.testing.assert_allclose(m64(x.astype("float64")), ky, rtol=1e-4, atol=1e-5)


TORCH_MAKE = r"""
import sys, numpy as np, torch
sys.path.insert(0, sys.argv[2])
from state_dict_to_safetensors import save
torch.manual_seed(0)
g = torch.nn.GRU(3, 4, num_layers=2, bidirectional=True, batch_first=True).double()
x = torch.randn(2, 6, 3, dtype=torch.float64)
y, h = g(x)
save(g.state_dict(), sys.argv[1] + "/g.safetensors")
np.savez(sys.argv[1] + "/io.npz", x=x.numpy(), y=y.detach().numpy(), h=h.detach().numpy())
"""


def _torch_python():
    try:
        import torch  # noqa: F401
        return sys.executable
    except ImportError:
        pass
    for py in ("/usr/bin/python3",):
        if os.path.exists(py) and subprocess.run([py, "-c", "import torch"],
                                                 capture_output=True).returncode == 0:
            return py
    return None


def test_torch_made_here(tmp_path):
    py = _torch_python()
    if py is None:
        pytest.skip("no interpreter with torch")
    subprocess.run([py, "-c", TORCH_MAKE, str(tmp_path), os.path.join(ROOT, "tools", "torch")],
                   check=True, capture_output=True)
    io = np.load(tmp_path / "io.npz")
    m = libgru.load(tmp_path / "g.safetensors", dtype="float64")
    y, *hs = m(io["x"])
    np.testing.assert_allclose(y, io["y"], rtol=1e-12, atol=1e-13)
    # torch's h_n: (layers * directions, B, U); libgru's outputs: the states in that order
    np.testing.assert_allclose(np.stack(hs[-2:]), io["h"][-2:], rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("name", ["t_f32_l1_bf", "t_f64_l2_tm", "t_f32_l2_bi_bf", "t_f64_l3_bi_tm",
                                  "x_f32_l1_bf", "x_f64_l2_bi_bf", "x_f32_l3_tm"])
def test_committed_torch_onnx_files(name):
    """Files torch / torch.onnx.export wrote, with the outputs torch computed (io file)."""
    io = read_safetensors(os.path.join(FILES, name + ".io.safetensors"))
    onnx = name.startswith("x_")
    dt = "float64" if "_f64_" in name else "float32"
    m = libgru.load(os.path.join(FILES, name + (".onnx" if onnx else ".safetensors")), dtype=dt)
    x = io["in.0" if onnx else "x"]
    y_ref = io["out.0" if onnx else "output"]
    tm = x.shape[0] != 2            # every file has batch 2 and 5 steps
    y = m(np.ascontiguousarray(x.transpose(1, 0, 2)) if tm else x)
    if isinstance(y, list):
        # a last Bidirectional node gives [y_fwd, y_bwd, h_fwd, h_bwd] (ONNX: one Y, directions
        # concatenated on the feature axis in torch's output)
        seqs = [a for a in y if a.ndim == 3]
        y = np.concatenate(seqs, axis=-1)
    if tm:
        y = y.transpose(1, 0, 2)
    tol = dict(rtol=1e-5, atol=1e-6) if dt == "float32" else dict(rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(y, y_ref.reshape(y.shape), **tol)


def test_corrupt_and_refused_files(tmp_path, keras_model):
    km, _, _ = keras_model
    with pytest.raises(ValueError, match="LSTM"):          # refused, the C message
        libgru.load(os.path.join(FILES, "bad_lstm.onnx"))
    good = os.path.join(ROOT, "data", "models", "sunspots.grum")
    bad = tmp_path / "cut.grum"
    bad.write_bytes(open(good, "rb").read()[:100])
    with pytest.raises(ValueError, match="GRU_E_"):
        libgru.load(bad)
    p = str(tmp_path / "m.h5")
    km.save(p)
    b = bytearray(open(p, "rb").read())
    (tmp_path / "cut.h5").write_bytes(bytes(b[:len(b) // 3]))
    with pytest.raises(ValueError, match="GRU_E_"):
        libgru.load(tmp_path / "cut.h5")
    (tmp_path / "junk.safetensors").write_bytes(b"\xff" * 64)
    with pytest.raises(ValueError, match="GRU_E_"):
        libgru.load(tmp_path / "junk.safetensors")
    (tmp_path / "junk.onnx").write_bytes(b"\x0a\xff\xff\xff" * 16)
    with pytest.raises(ValueError, match="GRU_E_"):
        libgru.load(tmp_path / "junk.onnx")
    with pytest.raises(ValueError, match="format"):
        libgru.load(good, format="nope")
