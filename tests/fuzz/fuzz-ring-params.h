/* fuzz-ring-params.h: the parameter bytes that start an input of
 * fuzz-ring-consumer, shared with generate-ring-corpus, which writes its
 * seeds
 *
 * SPDX-License-Identifier: Apache-2.0
 *
 *   byte 0   flags, PARAM_* below
 *   byte 1-2 the offset in the ring where the frames start (u16 LE), so
 *            that they can cross the ring's end through its mirror mapping
 */
#pragma once

#define N_PARAM_BYTES 3

enum
{
  /* The sink takes EVENTS frames encoded (the consumer's pass-through). */
  PARAM_ENCODED = 1 << 0,
  /* The traced program's cwd holds prog.py (else it does not exist). */
  PARAM_SOURCES = 1 << 1,
  /* Ring positions start just below 2^64, so they wrap with the data. */
  PARAM_HIGH_POSITION = 1 << 2,
  /* Published frame by frame, drained in between. */
  PARAM_PIECES = 1 << 3,
  /* At some point the head claims more than the ring holds. */
  PARAM_OVERCLAIM = 3 << 4,
  /* Two bits: 2, the sink fails one of its first pushes; 3, the producer
   * scribbles over the ring and moves its head while the consumer runs
   * (from inside the sink's calls). */
  PARAM_MISCHIEF = 3 << 6,
  PARAM_SINK_FAILS = 2 << 6,
  PARAM_HOSTILE = 3 << 6,
};
