/* Written for Sotto in place of the configure-generated file from
   speexdsp_config_types.h.in (speexdsp 1.2.1): fixed-width types from stdint.h,
   which every supported compiler (gcc, clang, mingw, MSVC 2010+) provides. */
#ifndef __SPEEX_TYPES_H__
#define __SPEEX_TYPES_H__

#include <stdint.h>

typedef int16_t spx_int16_t;
typedef uint16_t spx_uint16_t;
typedef int32_t spx_int32_t;
typedef uint32_t spx_uint32_t;

#endif
