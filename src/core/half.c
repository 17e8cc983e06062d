/* half.c: IEEE binary16 and bfloat16 conversions for host code (reading
 * safetensors, packing f16 weights). The ref backend keeps its own, written
 * separately on purpose: the oracle must not share the product's rounding. */
#include "half.h"

#include <string.h>

float bb_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1f, man = h & 0x3ffu, bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (man << 13);
    } else if (exp == 0) {
        float f = (float)man * (1.0f / 16777216.0f); /* subnormal: man * 2^-24 */
        return sign ? -f : f;
    } else {
        bits = sign | ((exp + 112) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

float bb_bf16_to_f32(uint16_t h)
{
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

/* float -> IEEE half, round to nearest even; overflow -> inf, tiny -> subnormal/0. */
uint16_t bb_f32_to_f16(float f)
{
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    uint32_t absx = x & 0x7fffffffu;
    if (absx >= 0x7f800000u) /* inf or nan (keep nan quiet) */
        return sign | 0x7c00u | (absx > 0x7f800000u ? 0x200u : 0);
    if (absx >= 0x477ff000u) /* rounds to >= 65520: inf */
        return sign | 0x7c00u;
    int e = (int)(absx >> 23) - 127 + 15;
    uint32_t mant = (absx & 0x7fffffu) | 0x800000u;
    if (e <= 0) { /* subnormal half or zero */
        if (e < -10)
            return sign;
        int shift = 14 - e; /* 24-bit mantissa -> 10-bit subnormal */
        uint32_t h = mant >> shift, rest = mant & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rest > half || (rest == half && (h & 1)))
            h++;
        return sign | (uint16_t)h;
    }
    uint32_t h = ((uint32_t)e << 10) | ((mant >> 13) & 0x3ffu), rest = mant & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1)))
        h++; /* may carry into the exponent, which is right */
    return sign | (uint16_t)h;
}
