#!/usr/bin/env python3
"""Write a PyTorch state_dict (or any name -> tensor/array mapping) as a
.safetensors file, for gru_torch_load_safetensors.

    python3 state_dict_to_safetensors.py model.pt out.safetensors [--prefix rnn.]

model.pt: a saved state_dict (torch.save(module.state_dict(), ...)) or a
saved nn.Module. From Python: `save(state_dict, path, metadata=None)`.

Uses the `safetensors` package when it is installed; otherwise writes the
format itself (it is simple: an 8-byte little-endian header length, a JSON
header {name: {"dtype", "shape", "data_offsets": [begin, end]}, plus
"__metadata__"}, then the tensors' little-endian bytes back to back), with
numpy only.
"""
import json
import struct
import sys

import numpy as np

_DTYPES = {np.dtype("float32"): "F32", np.dtype("float64"): "F64", np.dtype("float16"): "F16",
           np.dtype("int32"): "I32", np.dtype("int64"): "I64", np.dtype("int8"): "I8",
           np.dtype("uint8"): "U8", np.dtype("int16"): "I16", np.dtype("bool"): "BOOL"}


def _to_numpy(t):
    if hasattr(t, "detach"):  # a torch tensor
        t = t.detach().cpu().contiguous()
        if str(t.dtype) == "torch.bfloat16":
            # numpy has no bfloat16: keep the raw 16-bit patterns
            return t.view(dtype=__import__("torch").int16).numpy(), "BF16"
        return t.numpy(), None
    return np.asarray(t), None


def write_safetensors(tensors, path, metadata=None):
    """The format, written with numpy (deterministic: names sorted)."""
    header, blobs, off = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name in sorted(tensors):
        arr, forced = _to_numpy(tensors[name])
        code = forced or _DTYPES.get(arr.dtype)
        if code is None:
            raise ValueError(f"tensor {name!r}: dtype {arr.dtype} not supported")
        data = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": code, "shape": list(arr.shape),
                        "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)  # the reference writer pads to 8
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def save(state_dict, path, metadata=None, prefix=""):
    sd = {k: v for k, v in state_dict.items() if k.startswith(prefix)}
    try:
        if all(hasattr(v, "detach") for v in sd.values()):
            from safetensors.torch import save_file
            save_file({k: v.detach().contiguous() for k, v in sd.items()}, path, metadata)
        else:
            from safetensors.numpy import save_file
            save_file({k: np.ascontiguousarray(v) for k, v in sd.items()}, path, metadata)
        return "safetensors"
    except ImportError:
        write_safetensors(sd, path, metadata)
        return "numpy"


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("state_dict")
    ap.add_argument("out")
    ap.add_argument("--prefix", default="", help="keep only keys starting with this")
    a = ap.parse_args(argv)
    import torch
    obj = torch.load(a.state_dict, map_location="cpu")
    if hasattr(obj, "state_dict"):
        obj = obj.state_dict()
    how = save(obj, a.out, {"format": "pt"}, a.prefix)
    print(f"wrote {a.out} ({how})")


if __name__ == "__main__":
    main(sys.argv[1:])
