"""Real Keras files + goldens for tests/test_keras_files.c.

Writes <out>/keras/<case>.golden (family `keras`) and <out>/keras_bad/*.golden
(family `keras_bad`), with the Keras files themselves in <out>/keras/data/.

  python3 tools/oracle/keras_files.py --out DIR [--keras3-python PY]

tf-keras 2.21 (TF_USE_LEGACY_KERAS=1) writes, for every model: save_weights
.h5 (paired with to_json), save .h5, save .keras. Keras 3 (`import keras`
without that switch; by default the same interpreter, else --keras3-python,
e.g. a venv with `pip install keras tensorflow-cpu==2.21.*`) writes .keras and
its legacy .h5. Both Keras save a model whose GRU uses hard_sigmoid, each with
its own meaning of it.

keras golden meta: kind keras, case, keras (2|3), keras_version, loader
(load | json_weights), file (name under data/), weights (json_weights: the
weights file; none otherwise), n_inputs, n_outputs, extra (comma-separated
GRU / Bidirectional layer names, or none). Arrays: x<k> (f32; ids for
Embedding inputs as floats), y<k> (model outputs), g<k> (output of the
layer extra[k]). keras_bad meta: kind keras_bad, case, loader, file,
weights, status (GRU_E_...), needle (a word the message must hold).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from goldenio import Golden  # noqa: E402

B, T = 3, 6


def randomize(model, seed):
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        ws = layer.get_weights()
        if ws:
            layer.set_weights([rng.uniform(-0.6, 0.6, w.shape).astype(w.dtype) for w in ws])


def build_models(keras, k3):
    """(name, model, extra layer names, input makers) for this Keras."""
    L = keras.layers
    out = []
    inp = lambda shape, name=None, dtype="float32": keras.Input(shape, name=name, dtype=dtype)

    # 1. stack of 3 GRUs, both reset_after, hard_sigmoid (this Keras' meaning)
    m = keras.Sequential([
        inp((T, 3)),
        L.GRU(4, return_sequences=True, reset_after=False,
              recurrent_activation="hard_sigmoid", name="g1"),
        L.GRU(3, return_sequences=True, reset_after=True, name="g2"),
        L.GRU(2, reset_after=False, name="g3"),
        L.Dense(2, name="head"),
    ], name="stack3")
    out.append(("stack3", m, ["g1", "g2", "g3"]))

    # 2. stack of 2 and of 4
    m = keras.Sequential([inp((T, 2)), L.GRU(3, return_sequences=True, name="g1"),
                          L.GRU(3, name="g2")], name="stack2")
    out.append(("stack2", m, ["g1", "g2"]))
    m = keras.Sequential([inp((T, 2))] + [
        L.GRU(u, return_sequences=True, reset_after=(i % 2 == 0), name="g%d" % (i + 1))
        for i, u in enumerate([4, 3, 3])] + [L.GRU(2, name="g4"), L.Dense(1, name="head")],
        name="stack4")
    out.append(("stack4", m, ["g1", "g2", "g3", "g4"]))

    # 3. Bidirectional with a custom backward layer
    m = keras.Sequential([
        inp((T, 3)),
        L.Bidirectional(L.GRU(3, return_sequences=True, name="fw"),
                        backward_layer=L.GRU(3, return_sequences=True, go_backwards=True,
                                             reset_after=False, name="bw"), name="bi"),
        L.GRU(2, name="g2"), L.Dense(2, name="head")], name="bidir")
    out.append(("bidir", m, ["bi", "g2"]))

    # 4. Embedding with mask_zero
    m = keras.Sequential([
        inp((T,)),
        L.Embedding(12, 4, mask_zero=True, name="emb"),
        L.GRU(5, return_sequences=True, name="g1"),
        L.Bidirectional(L.GRU(2), name="bi"),
        L.Dense(3, name="head")], name="embed")
    out.append(("embed", m, ["g1", "bi"]))

    # 5. two inputs, functional
    a = inp((T, 3), name="in_a")
    b = inp((T, 2), name="in_b")
    ga = L.GRU(3, return_sequences=True, name="ga")(a)
    gb = L.GRU(2, return_sequences=True, reset_after=False, name="gb")(b)
    c = L.Concatenate(name="cat")([ga, gb])
    g = L.GRU(3, name="gc")(c)
    y = L.Dense(2, name="head")(g)
    m = keras.Model([a, b], y, name="two_in")
    out.append(("two_in", m, ["ga", "gb", "gc"]))
    return out


def make_inputs(model, rng):
    xs = []
    for t in model.inputs:
        shape = (B,) + tuple(int(d) for d in t.shape[1:])
        if len(shape) == 2:  # Embedding ids, zero-padded at the end
            x = rng.integers(1, 12, size=shape).astype(np.float32)
            x[0, 4:] = 0
            x[1, 2:] = 0
        else:
            x = rng.uniform(-1, 1, size=shape).astype(np.float32)
        xs.append(x)
    return xs


def run_part(keras, k3, out_dir):
    data = os.path.join(out_dir, "keras", "data")
    os.makedirs(data, exist_ok=True)
    os.makedirs(os.path.join(out_dir, "keras_bad"), exist_ok=True)
    tag = "k3" if k3 else "tfk"
    rng = np.random.default_rng(3 if k3 else 2)
    written = []
    for idx, (name, m, extra) in enumerate(build_models(keras, k3)):
        randomize(m, 100 * idx + (7 if k3 else 1))
        xs = make_inputs(m, rng)
        ys = m.predict(xs if len(xs) > 1 else xs[0], verbose=0)
        ys = ys if isinstance(ys, list) else [ys]
        gs = []
        for ln in extra:
            sub = keras.Model(m.inputs, m.get_layer(ln).output)
            gs.append(sub.predict(xs if len(xs) > 1 else xs[0], verbose=0))
        base = "%s_%s" % (tag, name)
        files = []
        if k3:
            m.save(os.path.join(data, base + ".keras"))
            files.append(("keras", "load", base + ".keras", None))
            m.save(os.path.join(data, base + ".h5"))
            files.append(("h5", "load", base + ".h5", None))
        else:
            m.save_weights(os.path.join(data, base + "_w.h5"))
            with open(os.path.join(data, base + ".json"), "w") as f:
                f.write(m.to_json())
            files.append(("json", "json_weights", base + ".json", base + "_w.h5"))
            m.save(os.path.join(data, base + ".h5"))
            files.append(("h5", "load", base + ".h5", None))
            m.save(os.path.join(data, base + ".keras"))
            files.append(("keras", "load", base + ".keras", None))
        for kind, loader, fname, wname in files:
            g = Golden()
            g.add_meta("kind", "keras")
            g.add_meta("case", "%s_%s" % (base, kind))
            g.add_meta("keras", 3 if k3 else 2)
            g.add_meta("keras_version", keras.__version__)
            g.add_meta("loader", loader)
            g.add_meta("file", fname)
            g.add_meta("weights", wname)
            g.add_meta("n_inputs", len(xs))
            g.add_meta("n_outputs", len(ys))
            g.add_meta("extra", ",".join(extra) if extra else None)
            for k, x in enumerate(xs):
                g.add_array("x%d" % k, x, "f32")
            for k, y in enumerate(ys):
                g.add_array("y%d" % k, y, "f32")
            for k, y in enumerate(gs):
                g.add_array("g%d" % k, y, "f32")
            with open(os.path.join(out_dir, "keras", "%s_%s.golden" % (base, kind)), "w") as f:
                f.write(g.text())
            written.append(fname)
    if not k3:
        make_bad(keras, out_dir, data)
    print("%s %s: %d files" % ("keras" if k3 else "tf-keras", keras.__version__, len(written)))


def bad_golden(out_dir, case, loader, fname, wname, status, needle):
    g = Golden()
    g.add_meta("kind", "keras_bad")
    g.add_meta("case", case)
    g.add_meta("loader", loader)
    g.add_meta("file", fname)
    g.add_meta("weights", wname)
    g.add_meta("status", status)
    g.add_meta("needle", needle)
    with open(os.path.join(out_dir, "keras_bad", case + ".golden"), "w") as f:
        f.write(g.text())


def make_bad(keras, out_dir, data):
    """Corrupted copies of tf-keras files (h5py edits) and a wrong variant."""
    import h5py
    src = os.path.join(data, "tfk_stack3_w.h5")
    js = "tfk_stack3.json"

    def edit(case, fn):
        dst = os.path.join(data, "bad_%s.h5" % case)
        shutil.copy(src, dst)
        with h5py.File(dst, "r+") as f:
            fn(f)
        return "bad_%s.h5" % case

    def drop(f):  # a weight missing: out of weight_names and the file
        g = f["g2"]
        names = list(g.attrs["weight_names"])
        del g[names[-1]]
        g.attrs["weight_names"] = names[:-1]
    bad_golden(out_dir, "weight_missing", "json_weights", js, edit("missing", drop),
               "GRU_E_FORMAT", "missing")

    def drop_ds(f):  # listed but absent
        g = f["g2"]
        names = list(g.attrs["weight_names"])
        del g[names[0]]
    bad_golden(out_dir, "dataset_missing", "json_weights", js, edit("dsmissing", drop_ds),
               "GRU_E_FORMAT", "missing")

    def extra(f):
        g = f["head"]
        names = list(g.attrs["weight_names"])
        g.create_dataset("head/extra:0", data=np.zeros(2, np.float32))
        g.attrs["weight_names"] = names + ["head/extra:0"]
    bad_golden(out_dir, "weight_extra", "json_weights", js, edit("extra", extra),
               "GRU_E_FORMAT", "extra")

    def shape(f):
        g = f["g1"]
        names = list(g.attrs["weight_names"])
        del g[names[0]]
        g.create_dataset(names[0], data=np.zeros((4, 12), np.float32))
    bad_golden(out_dir, "wrong_shape", "json_weights", js, edit("shape", shape),
               "GRU_E_SHAPE", "shape")

    # wrong variant: the config says reset_after=True where the weights are False
    cfg = json.load(open(os.path.join(data, js)))
    for layer in cfg["config"]["layers"]:
        if layer["config"].get("name") == "g1":
            layer["config"]["reset_after"] = True
    with open(os.path.join(data, "bad_variant.json"), "w") as f:
        json.dump(cfg, f)
    bad_golden(out_dir, "wrong_variant", "json_weights", "bad_variant.json", "tfk_stack3_w.h5",
               "GRU_E_SHAPE", "reset_after=False")

    # truncated byte streams
    for ext, st in (("h5", "GRU_E_FORMAT"), ("keras", "GRU_E_FORMAT")):
        raw = open(os.path.join(data, "tfk_stack3." + ext), "rb").read()
        name = "bad_truncated.%s" % ext
        open(os.path.join(data, name), "wb").write(raw[: len(raw) // 2])
        bad_golden(out_dir, "truncated_" + ext, "load", name, None, st, "truncated")
    raw = open(src, "rb").read()
    open(os.path.join(data, "bad_truncated_w.h5"), "wb").write(raw[: len(raw) // 2])
    bad_golden(out_dir, "truncated_weights", "json_weights", js, "bad_truncated_w.h5",
               "GRU_E_IO", "truncated")

    # an unsupported layer, named with its option
    cfg = json.load(open(os.path.join(data, js)))
    cfg["config"]["layers"][1]["config"]["time_major"] = True
    with open(os.path.join(data, "bad_time_major.json"), "w") as f:
        json.dump(cfg, f)
    bad_golden(out_dir, "unsupported_option", "json_weights", "bad_time_major.json",
               "tfk_stack3_w.h5", "GRU_E_UNSUPPORTED", "time_major")
    cfg = json.load(open(os.path.join(data, js)))
    cfg["config"]["layers"][1]["class_name"] = "LSTM"
    with open(os.path.join(data, "bad_lstm.json"), "w") as f:
        json.dump(cfg, f)
    bad_golden(out_dir, "unsupported_layer", "json_weights", "bad_lstm.json",
               "tfk_stack3_w.h5", "GRU_E_UNSUPPORTED", "LSTM")
    cfg = json.load(open(os.path.join(data, js)))
    cfg["config"]["layers"][1]["config"]["units"] = "four"
    with open(os.path.join(data, "bad_type.json"), "w") as f:
        json.dump(cfg, f)
    bad_golden(out_dir, "wrong_type", "json_weights", "bad_type.json", "tfk_stack3_w.h5",
               "GRU_E_FORMAT", "units")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--part", choices=["all", "tfk", "k3"], default="all")
    ap.add_argument("--keras3-python", default=None)
    a = ap.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if a.part == "all":
        for d in ("keras", "keras_bad"):
            shutil.rmtree(os.path.join(a.out, d), ignore_errors=True)
    if a.part in ("all", "tfk"):
        env = dict(os.environ, TF_USE_LEGACY_KERAS="1")
        if a.part == "all":
            subprocess.check_call([sys.executable, __file__, "--out", a.out, "--part", "tfk"],
                                  env=env)
        else:
            import tensorflow as tf  # noqa: F401
            import tf_keras
            tf_keras.utils.set_random_seed(1)
            run_part(tf_keras, False, a.out)
    if a.part in ("all", "k3"):
        if a.part == "all":
            env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}
            env["KERAS_BACKEND"] = env.get("KERAS_BACKEND", "tensorflow")
            py = a.keras3_python or sys.executable
            subprocess.check_call([py, __file__, "--out", a.out, "--part", "k3"], env=env)
        else:
            import keras
            if not keras.__version__.startswith("3."):
                sys.exit("Keras 3 is needed for the k3 part, got keras %s" % keras.__version__)
            keras.utils.set_random_seed(1)
            run_part(keras, True, a.out)


if __name__ == "__main__":
    main()
