/* The format table of the gru command (formats.h). */
#include "formats.h"

#include <stdio.h>
#include <string.h>

static int native_probe(const unsigned char *head, size_t n) {
    return n >= 4 && memcmp(head, "GRUM", 4) == 0;
}

/* Keras: an HDF5 file (model.save('x.h5')) or a .keras zip; the library
 * answers GRU_E_UNSUPPORTED when it was built without HDF5/libzip/cJSON. */
static int h5_probe(const unsigned char *head, size_t n) {
    return n >= 8 && memcmp(head, "\x89HDF\r\n\x1a\n", 8) == 0;
}
static int zip_probe(const unsigned char *head, size_t n) {
    return n >= 4 && memcmp(head, "PK\x03\x04", 4) == 0;
}
static gru_status keras_load(const char *path, gru_model **out) {
    return gru_keras_load(path, GRU_F32, NULL, out, NULL);
}

#ifdef GRU_CLI_HAVE_TORCH_ONNX /* io/torch_onnx.cmake links gru_io_torch_onnx */
static int safetensors_probe(const unsigned char *head, size_t n) {
    return n >= 9 && head[8] == '{' && head[6] == 0 && head[7] == 0;
}
static gru_status torch_load(const char *path, gru_model **out) {
    return gru_torch_load_safetensors(path, NULL, GRU_F32, out, NULL);
}
static gru_status onnx_load(const char *path, gru_model **out) {
    gru_onnx *o;
    gru_status s = gru_onnx_load(path, GRU_F32, &o);
    if (s != GRU_OK) return s;
    *out = gru_onnx_take_model(o);
    gru_onnx_free(o);
    return GRU_OK;
}
#endif

static const gru_cli_format formats[] = {
    {"native", "libgru's own format (docs/FORMAT-native.md)", ".grum", native_probe,
     gru_model_load_path, gru_model_save_path},
    {"keras-h5", "Keras HDF5 whole model (model.save('x.h5'), tf.keras, tf-keras, Keras 3)",
     ".h5 .hdf5", h5_probe, keras_load, NULL},
    {"keras", "Keras v3 zip (model.save('x.keras'))", ".keras", zip_probe, keras_load, NULL},
#ifdef GRU_CLI_HAVE_TORCH_ONNX
    {"torch-safetensors", "PyTorch nn.GRU/nn.GRUCell state_dict (.safetensors)", ".safetensors",
     safetensors_probe, torch_load, NULL},
    {"onnx", "ONNX model with GRU nodes (torch.onnx.export, onnx)", ".onnx", NULL, onnx_load,
     NULL},
#endif
};

const gru_cli_format *gru_cli_formats(size_t *count) {
    *count = sizeof formats / sizeof formats[0];
    return formats;
}

static int has_ext(const char *path, const char *exts) {
    const char *dot = strrchr(path, '.');
    if (!dot || strchr(dot, '/')) return 0;
    const size_t n = strlen(dot);
    for (const char *p = exts; *p;) {
        const char *e = strchr(p, ' ');
        const size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && strncmp(p, dot, n) == 0) return 1;
        p += len;
        while (*p == ' ') p++;
    }
    return 0;
}

const gru_cli_format *gru_cli_format_for_read(const char *path, const char **why) {
    size_t n;
    const gru_cli_format *t = gru_cli_formats(&n);
    unsigned char head[64];
    size_t got = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        *why = "cannot open the file";
        return NULL;
    }
    got = fread(head, 1, sizeof head, f);
    fclose(f);
    for (size_t i = 0; i < n; i++)
        if (t[i].load && t[i].probe && t[i].probe(head, got)) return &t[i];
    for (size_t i = 0; i < n; i++)
        if (t[i].load && has_ext(path, t[i].extensions)) return &t[i];
    *why = "not a model format this gru reads (see `gru formats`)";
    return NULL;
}

const gru_cli_format *gru_cli_format_for_write(const char *path) {
    size_t n;
    const gru_cli_format *t = gru_cli_formats(&n);
    for (size_t i = 0; i < n; i++)
        if (t[i].save && has_ext(path, t[i].extensions)) return &t[i];
    return &t[0];
}

const gru_cli_format *gru_cli_format_named(const char *name) {
    size_t n;
    const gru_cli_format *t = gru_cli_formats(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].name, name) == 0) return &t[i];
    return NULL;
}
