/* A dependency-free PNG writer (8-bit truecolor, zlib stored blocks, CRC-32
 * and Adler-32 written here) and a tiny raster canvas for line plots. Part
 * of the examples, not of the core library. */
#ifndef GRU_EXAMPLES_PNG_H
#define GRU_EXAMPLES_PNG_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32 (ISO-HDLC, as PNG chunks use) of n bytes, continuing from crc
 * (start with 0). */
uint32_t png_crc32(uint32_t crc, const unsigned char *p, size_t n);
/* Adler-32 (zlib) of n bytes, continuing from adler (start with 1). */
uint32_t png_adler32(uint32_t adler, const unsigned char *p, size_t n);

/* Write rgb (h rows of w pixels, 3 bytes each) to path. 0 on success, -1 on
 * an I/O error or a bad size. */
int png_write_rgb(const char *path, int w, int h, const unsigned char *rgb);

typedef struct png_canvas {
    int w, h;
    unsigned char *rgb; /* w*h*3, owned by the caller */
} png_canvas;

void png_fill(png_canvas *c, uint32_t color);                    /* 0xRRGGBB */
void png_rect(png_canvas *c, int x0, int y0, int x1, int y1, uint32_t color);
/* A line of the given width (pixels) from (x0,y0) to (x1,y1). */
void png_line(png_canvas *c, double x0, double y0, double x1, double y1, int width,
              uint32_t color);
/* Text in a 3x5 pixel font scaled by `scale`: digits, '-', '.', ':', ' ',
 * and upper-case letters; others are drawn as blanks. */
void png_text(png_canvas *c, int x, int y, int scale, const char *s, uint32_t color);
/* Width in pixels of s drawn by png_text. */
int png_text_width(const char *s, int scale);

#endif
