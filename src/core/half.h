/* half.h: IEEE binary16 and bfloat16 <-> float32 conversions on the host. */
#ifndef BB_HALF_H
#define BB_HALF_H

#include <stdint.h>

float bb_f16_to_f32(uint16_t h);
float bb_bf16_to_f32(uint16_t h);
/* Round to nearest even; overflow -> inf, tiny -> subnormal or signed zero. */
uint16_t bb_f32_to_f16(float f);

#endif
