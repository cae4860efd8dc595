/*
 * replay.h — pacing recorded records in scaled time: a record stamped t is
 * released at w0 + (t − t0) / speed on the wall clock, where the first
 * record (t0) is released at w0. For demos and tests that need a meter's day
 * in a minute.
 *
 * Ownership: plain data in caller memory.
 */
#ifndef HIVE_REPLAY_H
#define HIVE_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

struct replay {
	double speed;       /* 1: real time; 60: a minute per second; 0: no pacing */
	bool started;
	int64_t t0_ms;      /* record time of the first paced record */
	int64_t w0_ms;      /* wall time it was released */
};

void replay_init(struct replay *r, double speed);
/*
 * How long to wait, in ms, before releasing a record stamped t_ms when the
 * wall clock reads now_ms. 0 for the first record, without pacing, and for a
 * record stamped earlier than one already released.
 */
int64_t replay_wait_ms(struct replay *r, int64_t t_ms, int64_t now_ms);

#endif
