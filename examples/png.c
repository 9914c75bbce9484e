/* PNG writer and raster canvas; see png.h. */
#include "png.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

uint32_t png_crc32(uint32_t crc, const unsigned char *p, size_t n) {
    /* bitwise CRC-32, reflected polynomial 0xEDB88320; no table to keep the
     * code short (the images are small) */
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

uint32_t png_adler32(uint32_t adler, const unsigned char *p, size_t n) {
    uint32_t a = adler & 0xffffu, b = adler >> 16;
    for (size_t i = 0; i < n; i++) {
        a = (a + p[i]) % 65521u;
        b = (b + a) % 65521u;
    }
    return (b << 16) | a;
}

static void be32(unsigned char *o, uint32_t v) {
    o[0] = (unsigned char)(v >> 24);
    o[1] = (unsigned char)(v >> 16);
    o[2] = (unsigned char)(v >> 8);
    o[3] = (unsigned char)v;
}

/* A chunk whose data is produced in pieces: begin, data..., end. */
typedef struct chunk {
    FILE *f;
    uint32_t crc;
    int err;
} chunk;

static void chunk_begin(chunk *k, const char type[4], uint32_t len) {
    unsigned char h[8];
    be32(h, len);
    memcpy(h + 4, type, 4);
    if (fwrite(h, 1, 8, k->f) != 8) k->err = 1;
    k->crc = png_crc32(0, h + 4, 4);
}
static void chunk_data(chunk *k, const unsigned char *p, size_t n) {
    if (n && fwrite(p, 1, n, k->f) != n) k->err = 1;
    k->crc = png_crc32(k->crc, p, n);
}
static void chunk_end(chunk *k) {
    unsigned char c[4];
    be32(c, k->crc);
    if (fwrite(c, 1, 4, k->f) != 4) k->err = 1;
}

int png_write_rgb(const char *path, int w, int h, const unsigned char *rgb) {
    if (w <= 0 || h <= 0 || w > 1 << 14 || h > 1 << 14 || !rgb || !path) return -1;
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    chunk k = {f, 0, 0};
    static const unsigned char sig[8] = {137, 'P', 'N', 'G', '\r', '\n', 26, '\n'};
    if (fwrite(sig, 1, 8, f) != 8) k.err = 1;

    unsigned char ihdr[13];
    be32(ihdr, (uint32_t)w);
    be32(ihdr + 4, (uint32_t)h);
    ihdr[8] = 8;  /* bit depth */
    ihdr[9] = 2;  /* truecolor */
    ihdr[10] = 0; /* deflate */
    ihdr[11] = 0; /* adaptive filtering (we use filter 0 on every row) */
    ihdr[12] = 0; /* no interlace */
    chunk_begin(&k, "IHDR", 13);
    chunk_data(&k, ihdr, 13);
    chunk_end(&k);

    /* The raw stream: per row a filter byte 0 and w*3 bytes. zlib: header
     * 0x78 0x01, stored deflate blocks of <= 65535 bytes, Adler-32. */
    const size_t row = (size_t)w * 3 + 1, raw = row * (size_t)h;
    const size_t nblocks = (raw + 65534) / 65535;
    const size_t zlen = 2 + nblocks * 5 + raw + 4;
    chunk_begin(&k, "IDAT", (uint32_t)zlen);
    static const unsigned char zh[2] = {0x78, 0x01};
    chunk_data(&k, zh, 2);
    uint32_t adler = 1;
    size_t pos = 0; /* position in the raw stream */
    for (size_t b = 0; b < nblocks; b++) {
        const size_t len = raw - pos < 65535 ? raw - pos : 65535;
        unsigned char bh[5];
        bh[0] = b + 1 == nblocks ? 1 : 0; /* BFINAL, BTYPE 00 */
        bh[1] = (unsigned char)(len & 0xff);
        bh[2] = (unsigned char)(len >> 8);
        bh[3] = (unsigned char)(~len & 0xff);
        bh[4] = (unsigned char)((~len >> 8) & 0xff);
        chunk_data(&k, bh, 5);
        for (size_t end = pos + len; pos < end;) {
            const size_t r = pos / row, c = pos % row;
            if (c == 0) {
                static const unsigned char zero = 0;
                chunk_data(&k, &zero, 1);
                adler = png_adler32(adler, &zero, 1);
                pos++;
            } else {
                size_t n = row - c;
                if (n > end - pos) n = end - pos;
                const unsigned char *p = rgb + r * (row - 1) + (c - 1);
                chunk_data(&k, p, n);
                adler = png_adler32(adler, p, n);
                pos += n;
            }
        }
    }
    unsigned char ad[4];
    be32(ad, adler);
    chunk_data(&k, ad, 4);
    chunk_end(&k);

    chunk_begin(&k, "IEND", 0);
    chunk_end(&k);
    if (fclose(f) != 0) k.err = 1;
    return k.err ? -1 : 0;
}

static void put(png_canvas *c, int x, int y, uint32_t color) {
    if (x < 0 || y < 0 || x >= c->w || y >= c->h) return;
    unsigned char *p = c->rgb + ((size_t)y * (size_t)c->w + (size_t)x) * 3;
    p[0] = (unsigned char)(color >> 16);
    p[1] = (unsigned char)(color >> 8);
    p[2] = (unsigned char)color;
}

void png_fill(png_canvas *c, uint32_t color) { png_rect(c, 0, 0, c->w - 1, c->h - 1, color); }

void png_rect(png_canvas *c, int x0, int y0, int x1, int y1, uint32_t color) {
    for (int y = y0; y <= y1; y++)
        for (int x = x0; x <= x1; x++) put(c, x, y, color);
}

void png_line(png_canvas *c, double x0, double y0, double x1, double y1, int width,
              uint32_t color) {
    const double dx = x1 - x0, dy = y1 - y0;
    const double len = sqrt(dx * dx + dy * dy);
    const int steps = (int)ceil(len * 2) + 1;
    const int r0 = -(width - 1) / 2, r1 = width / 2;
    for (int i = 0; i <= steps; i++) {
        const double t = (double)i / steps;
        const int x = (int)lround(x0 + t * dx), y = (int)lround(y0 + t * dy);
        for (int oy = r0; oy <= r1; oy++)
            for (int ox = r0; ox <= r1; ox++) put(c, x + ox, y + oy, color);
    }
}

/* 3x5 glyphs, one row per 3 bits (MSB = left), rows top to bottom */
static const unsigned short *glyph(char ch) {
    static const unsigned short digits[10][5] = {
        {7, 5, 5, 5, 7}, {2, 6, 2, 2, 7}, {7, 1, 7, 4, 7}, {7, 1, 7, 1, 7}, {5, 5, 7, 1, 1},
        {7, 4, 7, 1, 7}, {7, 4, 7, 5, 7}, {7, 1, 1, 1, 1}, {7, 5, 7, 5, 7}, {7, 5, 7, 1, 7}};
    static const unsigned short letters[26][5] = {
        {2, 5, 7, 5, 5}, {6, 5, 6, 5, 6}, {3, 4, 4, 4, 3}, {6, 5, 5, 5, 6}, {7, 4, 6, 4, 7},
        {7, 4, 6, 4, 4}, {3, 4, 5, 5, 3}, {5, 5, 7, 5, 5}, {7, 2, 2, 2, 7}, {1, 1, 1, 5, 2},
        {5, 5, 6, 5, 5}, {4, 4, 4, 4, 7}, {5, 7, 7, 5, 5}, {6, 5, 5, 5, 5}, {2, 5, 5, 5, 2},
        {6, 5, 6, 4, 4}, {2, 5, 5, 6, 3}, {6, 5, 6, 5, 5}, {3, 4, 2, 1, 6}, {7, 2, 2, 2, 2},
        {5, 5, 5, 5, 7}, {5, 5, 5, 5, 2}, {5, 5, 7, 7, 5}, {5, 5, 2, 5, 5}, {5, 5, 2, 2, 2},
        {7, 1, 2, 4, 7}};
    static const unsigned short minus[5] = {0, 0, 7, 0, 0}, dot[5] = {0, 0, 0, 0, 2},
                                colon[5] = {0, 2, 0, 2, 0};
    if (ch >= '0' && ch <= '9') return digits[ch - '0'];
    if (ch >= 'A' && ch <= 'Z') return letters[ch - 'A'];
    if (ch >= 'a' && ch <= 'z') return letters[ch - 'a'];
    if (ch == '-') return minus;
    if (ch == '.') return dot;
    if (ch == ':') return colon;
    return NULL;
}

int png_text_width(const char *s, int scale) {
    const int n = (int)strlen(s);
    return n ? (n * 4 - 1) * scale : 0;
}

void png_text(png_canvas *c, int x, int y, int scale, const char *s, uint32_t color) {
    for (; *s; s++, x += 4 * scale) {
        const unsigned short *g = glyph(*s);
        if (!g) continue;
        for (int r = 0; r < 5; r++)
            for (int b = 0; b < 3; b++)
                if (g[r] & (4 >> b)) png_rect(c, x + b * scale, y + r * scale,
                                              x + b * scale + scale - 1,
                                              y + r * scale + scale - 1, color);
    }
}
