#include "replay.h"

void replay_init(struct replay *r, double speed)
{
	r->speed = speed;
	r->started = false;
	r->t0_ms = r->w0_ms = 0;
}

int64_t replay_wait_ms(struct replay *r, int64_t t_ms, int64_t now_ms)
{
	if (r->speed <= 0)
		return 0;
	if (!r->started) {
		r->started = true;
		r->t0_ms = t_ms;
		r->w0_ms = now_ms;
		return 0;
	}
	if (t_ms <= r->t0_ms)
		return 0;
	int64_t due = r->w0_ms + (int64_t)((double)(t_ms - r->t0_ms) / r->speed);
	return due > now_ms ? due - now_ms : 0;
}
