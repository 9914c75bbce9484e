#!/usr/bin/env python3
"""Goldens for the PyTorch (safetensors) and ONNX readers: the `files` family.

  /usr/bin/python3 torch_files.py --part torch --out DIR   (Debian python3-torch)
  python3          torch_files.py --part onnx  --out DIR   (pip onnx + onnxruntime)

Writes DIR/<case>.safetensors or DIR/<case>.onnx, DIR/<case>.io.safetensors
(inputs and expected outputs) and appends one line per case to
DIR/cases-<part>.txt:

  <case> <torch|onnx> <f32|f64> <batch> <steps> key=value,...

torch cases: io holds x (in the module's layout), [h0 (L*D, B, H)], output,
h_n; keys batch_first, init, cell, prefix. onnx cases: io holds in.<k> for
graph input k and out.<k> for graph output k (sequence_lens as I32); the
expected values come from PyTorch (torch.onnx.export files) or from
onnxruntime (float32) / a float64 numpy reference of the ONNX GRU equations
(float64; it is checked against onnxruntime in float32 first). Files named
bad_*.onnx must be refused (key want=<status>,msg=<substring>).
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "torch"))
from state_dict_to_safetensors import save, write_safetensors  # noqa: E402

B, T, F, H = 2, 5, 3, 4


def line(out, part, text):
    with open(os.path.join(out, f"cases-{part}.txt"), "a") as f:
        f.write(text + "\n")


# --------------------------------------------------------------------- torch
def torch_part(out):
    import torch
    torch.manual_seed(1234)
    n = 0
    configs = [  # layers, bidirectional, bias, batch_first, init
        (1, False, True, True, False), (1, False, False, False, True),
        (1, True, True, True, True), (2, False, True, False, False),
        (2, True, True, True, False), (2, True, False, False, True),
        (3, False, True, True, True), (3, True, True, False, False)]
    for dt_name, tdt in (("f32", torch.float32), ("f64", torch.float64)):
        for (L, bi, bias, bf, init) in configs:
            name = f"t_{dt_name}_l{L}{'_bi' if bi else ''}{'' if bias else '_nobias'}" \
                   f"{'_bf' if bf else '_tm'}{'_h0' if init else ''}"
            m = torch.nn.GRU(F, H, num_layers=L, bias=bias, batch_first=bf, bidirectional=bi,
                             dropout=0.0).to(tdt).eval()
            D = 2 if bi else 1
            x = torch.randn(B, T, F, dtype=tdt) if bf else torch.randn(T, B, F, dtype=tdt)
            io = {"x": x}
            with torch.no_grad():
                if init:
                    h0 = torch.randn(L * D, B, H, dtype=tdt)
                    io["h0"] = h0
                    y, hn = m(x, h0)
                else:
                    y, hn = m(x)
            io["output"], io["h_n"] = y, hn
            save(m.state_dict(), os.path.join(out, name + ".safetensors"))
            write_safetensors(io, os.path.join(out, name + ".io.safetensors"))
            line(out, "torch", f"{name} torch {dt_name} {B} {T} batch_first={int(bf)},"
                               f"init={int(init)},cell=0")
            n += 1
        # nn.GRUCell, one step and with/without bias
        for bias in (True, False):
            name = f"t_{dt_name}_cell{'' if bias else '_nobias'}"
            c = torch.nn.GRUCell(F, H, bias=bias).to(tdt).eval()
            x = torch.randn(B, F, dtype=tdt)
            h = torch.randn(B, H, dtype=tdt)
            with torch.no_grad():
                h1 = c(x, h)
            save(c.state_dict(), os.path.join(out, name + ".safetensors"))
            write_safetensors({"x": x.reshape(B, 1, F), "h0": h.reshape(1, B, H),
                               "output": h1.reshape(B, 1, H), "h_n": h1.reshape(1, B, H)},
                              os.path.join(out, name + ".io.safetensors"))
            line(out, "torch", f"{name} torch {dt_name} {B} 1 batch_first=1,init=1,cell=1")
            n += 1
        # a GRU inside a bigger module: keys under "rnn.", others ignored
        name = f"t_{dt_name}_prefixed"

        class Net(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.rnn = torch.nn.GRU(F, H, num_layers=2, batch_first=True)
                self.fc = torch.nn.Linear(H, 1)
        net = Net().to(tdt).eval()
        x = torch.randn(B, T, F, dtype=tdt)
        with torch.no_grad():
            y, hn = net.rnn(x)
        save(net.state_dict(), os.path.join(out, name + ".safetensors"))
        write_safetensors({"x": x, "output": y, "h_n": hn},
                          os.path.join(out, name + ".io.safetensors"))
        line(out, "torch", f"{name} torch {dt_name} {B} {T} batch_first=1,init=0,cell=0,"
                           f"prefix=rnn.")
        n += 1
    # torch.onnx.export of nn.GRU (opset 14), compared with PyTorch's outputs
    for dt_name, tdt in (("f32", torch.float32), ("f64", torch.float64)):
        for (L, bi, bias, bf) in [(1, False, True, True), (1, True, False, False),
                                  (2, True, True, True), (3, False, True, False)]:
            name = f"x_{dt_name}_l{L}{'_bi' if bi else ''}{'' if bias else '_nobias'}" \
                   f"{'_bf' if bf else '_tm'}"
            m = torch.nn.GRU(F, H, num_layers=L, bias=bias, batch_first=bf,
                             bidirectional=bi).to(tdt).eval()
            x = torch.randn(B, T, F, dtype=tdt) if bf else torch.randn(T, B, F, dtype=tdt)
            with torch.no_grad():
                y, hn = m(x)
            ax = {0: "batch", 1: "steps"} if bf else {0: "steps", 1: "batch"}
            import warnings
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                torch.onnx.export(m, (x,), os.path.join(out, name + ".onnx"), opset_version=14,
                                  input_names=["x"], output_names=["y", "h"],
                                  dynamic_axes={"x": ax})
            write_safetensors({"in.0": x, "out.0": y, "out.1": hn},
                              os.path.join(out, name + ".io.safetensors"))
            line(out, "torch", f"{name} onnx {dt_name} {B} {T} source=torch.onnx.export")
            n += 1
    print(f"torch {torch.__version__}: wrote {n} cases")


# ---------------------------------------------------------------------- onnx
def _act(name, x, alpha=None, beta=None):
    if name == "Sigmoid":
        return 1 / (1 + np.exp(-x))
    if name == "Tanh":
        return np.tanh(x)
    if name == "Relu":
        return np.maximum(x, 0)
    if name == "HardSigmoid":
        a = 0.2 if alpha is None else alpha
        b = 0.5 if beta is None else beta
        return np.clip(a * x + b, 0, 1)
    if name == "LeakyRelu":
        a = float(np.float32(0.01)) if alpha is None else alpha  # ONNX attributes are float32
        return np.where(x >= 0, x, a * x)
    raise ValueError(name)


def onnx_reference(X, W, R, Bias, lens, h0, direction, lbr, layout, acts):
    """The ONNX GRU equations in float64 (docs/Operators.md#GRU)."""
    if layout == 1:
        X = X.transpose(1, 0, 2)
        if h0 is not None:
            h0 = h0.transpose(1, 0, 2)
    Tn, Bn, _ = X.shape
    D = W.shape[0]
    Hn = R.shape[2]
    Y = np.zeros((Tn, D, Bn, Hn))
    Yh = np.zeros((D, Bn, Hn))
    lens = np.full(Bn, Tn) if lens is None else lens
    for d in range(D):
        rev = direction == "reverse" or d == 1
        Wz, Wr, Wh = np.split(W[d], 3)
        Rz, Rr, Rh = np.split(R[d], 3)
        b = Bias[d] if Bias is not None else np.zeros(6 * Hn)
        Wbz, Wbr, Wbh, Rbz, Rbr, Rbh = np.split(b, 6)
        f, fa, fb = acts[2 * d]
        g, ga, gb = acts[2 * d + 1]
        for bi in range(Bn):
            h = h0[d, bi].copy() if h0 is not None else np.zeros(Hn)
            order = range(lens[bi] - 1, -1, -1) if rev else range(lens[bi])
            for t in order:
                x = X[t, bi]
                z = _act(f, x @ Wz.T + h @ Rz.T + Wbz + Rbz, fa, fb)
                r = _act(f, x @ Wr.T + h @ Rr.T + Wbr + Rbr, fa, fb)
                if lbr:
                    hh = _act(g, x @ Wh.T + r * (h @ Rh.T + Rbh) + Wbh, ga, gb)
                else:
                    hh = _act(g, x @ Wh.T + (r * h) @ Rh.T + Rbh + Wbh, ga, gb)
                h = (1 - z) * hh + z * h
                Y[t, d, bi] = h
            Yh[d, bi] = h
    if layout == 1:
        return Y.transpose(2, 0, 1, 3), Yh.transpose(1, 0, 2)
    return Y, Yh


def onnx_part(out):
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper
    ort.set_default_logger_severity(3)
    rng = np.random.default_rng(7)
    n = 0
    cases = [  # direction, lbr, lens, h0, layout, activations
        ("forward", 0, False, False, 0, None),
        ("forward", 1, True, True, 0, None),
        ("reverse", 0, True, False, 0, None),
        ("reverse", 1, False, True, 1, None),
        ("bidirectional", 0, True, True, 0, None),
        ("bidirectional", 1, True, False, 1, None),
        ("forward", 0, False, True, 0, ["HardSigmoid", "Tanh"]),
        ("bidirectional", 1, False, False, 0, ["Sigmoid", "Relu", "HardSigmoid", "LeakyRelu"]),
        ("forward", 1, True, False, 0, "nobias"),
    ]
    for dt_name, npdt, onnx_t in (("f32", np.float32, TensorProto.FLOAT),
                                  ("f64", np.float64, TensorProto.DOUBLE)):
        for i, (direction, lbr, use_lens, use_h0, layout, acts) in enumerate(cases):
            D = 2 if direction == "bidirectional" else 1
            nobias = acts == "nobias"
            if acts == "nobias":
                acts = None
            W = rng.uniform(-0.6, 0.6, (D, 3 * H, F)).astype(npdt)
            R = rng.uniform(-0.6, 0.6, (D, 3 * H, H)).astype(npdt)
            Bb = rng.uniform(-0.4, 0.4, (D, 6 * H)).astype(npdt)
            inits = [numpy_helper.from_array(W, "W"), numpy_helper.from_array(R, "R")]
            if not nobias:
                inits.append(numpy_helper.from_array(Bb, "B"))
            xshape = [B, T, F] if layout else [T, B, F]
            ginputs = [helper.make_tensor_value_info("X", onnx_t, xshape)]
            X = rng.standard_normal(xshape).astype(npdt)
            feeds = {"X": X}
            lens = h0 = None
            if use_lens:
                lens = np.array([T, T - 2], dtype=np.int32)
                ginputs.append(helper.make_tensor_value_info("seq_lens", TensorProto.INT32, [B]))
                feeds["seq_lens"] = lens
            if use_h0:
                hshape = [B, D, H] if layout else [D, B, H]
                h0 = rng.standard_normal(hshape).astype(npdt)
                ginputs.append(helper.make_tensor_value_info("h0", onnx_t, hshape))
                feeds["h0"] = h0
            attrs = dict(hidden_size=H, direction=direction, linear_before_reset=lbr)
            if layout:
                attrs["layout"] = 1
            aspec = [("Sigmoid", None, None), ("Tanh", None, None)] * D
            if acts:
                attrs["activations"] = acts
                aspec = [(a, None, None) for a in acts]
            node = helper.make_node("GRU", ["X", "W", "R", "" if nobias else "B",
                                            "seq_lens" if use_lens else "", "h0" if use_h0 else ""],
                                    ["Y", "Y_h"], **attrs)
            yshape = [B, T, D, H] if layout else [T, D, B, H]
            hshape = [B, D, H] if layout else [D, B, H]
            g = helper.make_graph([node], "gru", ginputs,
                                  [helper.make_tensor_value_info("Y", onnx_t, yshape),
                                   helper.make_tensor_value_info("Y_h", onnx_t, hshape)], inits)
            model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)])
            model.ir_version = 8
            onnx.checker.check_model(model)
            name = f"o_{dt_name}_{i}_{direction}_lbr{lbr}" + ("_lens" if use_lens else "") + \
                   ("_h0" if use_h0 else "") + ("_layout1" if layout else "") + \
                   ("_acts" if acts else "") + ("_nobias" if nobias else "")
            path = os.path.join(out, name + ".onnx")
            onnx.save(model, path)
            ref = onnx_reference(X.astype(np.float64), W.astype(np.float64),
                                 R.astype(np.float64), None if nobias else Bb.astype(np.float64),
                                 lens, None if h0 is None else h0.astype(np.float64),
                                 direction, lbr, layout, aspec)
            got = None
            try:
                sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
                got = sess.run(None, feeds)
            except Exception as e:  # no float64 GRU kernel; layout 1 unsupported there
                if dt_name == "f32" and not layout:
                    raise
                print(f"  {name}: onnxruntime: {type(e).__name__}; numpy reference only")
            if got is not None:
                err = max(float(np.max(np.abs(a - b))) for a, b in zip(got, ref))
                assert err < 1e-4, f"{name}: numpy reference and onnxruntime differ by {err}"
            want = got if got is not None and dt_name == "f32" else [r.astype(npdt) for r in ref]
            io = {"in.0": X}
            k = 1
            if use_lens:
                io[f"in.{k}"] = lens
                k += 1
            if use_h0:
                io[f"in.{k}"] = h0
            io["out.0"], io["out.1"] = want[0], want[1]
            write_safetensors(io, os.path.join(out, name + ".io.safetensors"))
            src = "onnxruntime" if got is not None and dt_name == "f32" else "numpy"
            line(out, "onnx", f"{name} onnx {dt_name} {B} {T} source={src}")
            n += 1
    # files that must be refused
    W = rng.uniform(-0.5, 0.5, (1, 3 * H, F)).astype(np.float32)
    R = rng.uniform(-0.5, 0.5, (1, 3 * H, H)).astype(np.float32)
    base_inits = [numpy_helper.from_array(W, "W"), numpy_helper.from_array(R, "R")]
    xin = [helper.make_tensor_value_info("X", TensorProto.FLOAT, [T, B, F])]

    def bad(name, nodes, outs, want, msg, inits=base_inits):
        g = helper.make_graph(nodes, "bad", xin, outs, inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)])
        m.ir_version = 8
        onnx.save(m, os.path.join(out, name + ".onnx"))
        line(out, "onnx", f"{name} onnx f32 {B} {T} want={want},msg={msg}")

    yv = helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)
    zv = helper.make_tensor_value_info("Z", TensorProto.FLOAT, None)
    bad("bad_op_relu", [helper.make_node("GRU", ["X", "W", "R"], ["Y"], hidden_size=H),
                        helper.make_node("Relu", ["Y"], ["Z"])], [zv],
        "GRU_E_UNSUPPORTED", "Relu")
    bad("bad_attr_clip", [helper.make_node("GRU", ["X", "W", "R"], ["Y"], hidden_size=H,
                                           clip=3.0)], [yv], "GRU_E_UNSUPPORTED", "clip")
    bad("bad_act_affine", [helper.make_node("GRU", ["X", "W", "R"], ["Y"], hidden_size=H,
                                            activations=["Affine", "Tanh"])], [yv],
        "GRU_E_UNSUPPORTED", "Affine")
    bad("bad_hardsigmoid", [helper.make_node("GRU", ["X", "W", "R"], ["Y"], hidden_size=H,
                                             activations=["HardSigmoid", "Tanh"],
                                             activation_alpha=[0.3], activation_beta=[0.5])],
        [yv], "GRU_E_UNSUPPORTED", "HardSigmoid")
    bad("bad_lstm", [helper.make_node("LSTM", ["X", "W", "R"], ["Y"], hidden_size=H)], [yv],
        "GRU_E_UNSUPPORTED", "LSTM")
    bad("bad_w_shape", [helper.make_node("GRU", ["X", "W", "R"], ["Y"], hidden_size=H + 1)],
        [yv], "GRU_E_SHAPE", "W")
    bad("bad_missing_r", [helper.make_node("GRU", ["X", "W", "Rmissing"], ["Y"], hidden_size=H)],
        [yv], "GRU_E_FORMAT", "Rmissing")
    print(f"onnx {onnx.__version__}, onnxruntime {ort.__version__}: wrote {n} cases + 7 bad")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", choices=["torch", "onnx"], required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    p = os.path.join(a.out, f"cases-{a.part}.txt")
    if os.path.exists(p):
        os.remove(p)
    (torch_part if a.part == "torch" else onnx_part)(a.out)


if __name__ == "__main__":
    main()
