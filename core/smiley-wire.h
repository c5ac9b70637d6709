/* smiley-wire.h: constants and encoders of the smiley frame format
 *
 * SPDX-License-Identifier: Apache-2.0
 *
 * This header depends on nothing but the C library, so that the tracer
 * extension running inside the traced interpreter can encode frames
 * without GLib. The format is described in docs/wire-format.md; decoding
 * (with validation of every field) is SmileyFrameReader's job.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SMILEY_WIRE_MAGIC "SMLY"
#define SMILEY_WIRE_VERSION 1
/* Stream header flag, on the transport only (docs/transport.md): the
 * run's frames after RUN_BEGIN come through the tracer's shared-memory
 * ring handed over with the stream, not in it. A reader refuses it unless
 * told to accept it, so a listener that cannot take a ring refuses the
 * stream instead of waiting for events that never come. */
#define SMILEY_WIRE_FLAG_RING 0x0001u
#define SMILEY_WIRE_STREAM_HEADER_SIZE 8
#define SMILEY_WIRE_FRAME_HEADER_SIZE 8
/* No frame may be larger; a reader may enforce a smaller limit. */
#define SMILEY_WIRE_MAX_FRAME_SIZE (64u * 1024u * 1024u)
/* Longest LEB128 encoding of a 64-bit integer. */
#define SMILEY_WIRE_MAX_VARINT 10

typedef enum
{
  SMILEY_WIRE_RUN_BEGIN = 1,
  SMILEY_WIRE_STRINGS = 2,
  SMILEY_WIRE_THREADS = 3,
  SMILEY_WIRE_SOURCE = 4,
  SMILEY_WIRE_EVENTS = 5,
  SMILEY_WIRE_STATS = 6,
  SMILEY_WIRE_RUN_END = 7,
} SmileyWireFrameType;

#define SMILEY_WIRE_FRAME_TYPE_LAST SMILEY_WIRE_RUN_END

static inline uint8_t *
smiley_wire_put_u32 (uint8_t *p, uint32_t v)
{
  p[0] = v & 0xff;
  p[1] = (v >> 8) & 0xff;
  p[2] = (v >> 16) & 0xff;
  p[3] = (v >> 24) & 0xff;
  return p + 4;
}

static inline uint32_t
smiley_wire_get_u32 (const uint8_t *p)
{
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* Writes the 8-byte stream header: magic, version (u16 LE), flags 0. */
static inline uint8_t *
smiley_wire_put_stream_header (uint8_t *p)
{
  memcpy (p, SMILEY_WIRE_MAGIC, 4);
  p[4] = SMILEY_WIRE_VERSION & 0xff;
  p[5] = (SMILEY_WIRE_VERSION >> 8) & 0xff;
  p[6] = 0;
  p[7] = 0;
  return p + 8;
}

/* Sets the flags of the stream header at @p. */
static inline void
smiley_wire_set_stream_flags (uint8_t *p, uint16_t flags)
{
  p[6] = flags & 0xff;
  p[7] = (flags >> 8) & 0xff;
}

/* Writes a frame header: total size (u32 LE, header included), type,
 * three reserved zero bytes. */
static inline uint8_t *
smiley_wire_put_frame_header (uint8_t *p, uint32_t size, SmileyWireFrameType type)
{
  p = smiley_wire_put_u32 (p, size);
  p[0] = (uint8_t)type;
  p[1] = p[2] = p[3] = 0;
  return p + 4;
}

/* Unsigned LEB128. */
static inline uint8_t *
smiley_wire_put_varint (uint8_t *p, uint64_t v)
{
  while (v >= 0x80)
    {
      *p++ = (uint8_t)(v | 0x80);
      v >>= 7;
    }
  *p++ = (uint8_t)v;
  return p;
}

/* Signed values are zigzag-encoded first, so small negatives stay small. */
static inline uint8_t *
smiley_wire_put_svarint (uint8_t *p, int64_t v)
{
  return smiley_wire_put_varint (p, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

static inline size_t
smiley_wire_varint_size (uint64_t v)
{
  size_t n = 1;
  while (v >= 0x80)
    {
      v >>= 7;
      n++;
    }
  return n;
}

/* A string or byte run: varint length, then the bytes. */
static inline uint8_t *
smiley_wire_put_bytes (uint8_t *p, const void *data, size_t len)
{
  p = smiley_wire_put_varint (p, len);
  if (len > 0)
    memcpy (p, data, len);
  return p + len;
}

/* An optional string: varint (length + 1), 0 meaning absent. */
static inline uint8_t *
smiley_wire_put_opt_bytes (uint8_t *p, const void *data, size_t len)
{
  if (data == NULL)
    return smiley_wire_put_varint (p, 0);
  p = smiley_wire_put_varint (p, (uint64_t)len + 1);
  if (len > 0)
    memcpy (p, data, len);
  return p + len;
}
