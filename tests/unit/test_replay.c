/* Pacing in scaled time. */
#include "check.h"
#include "replay.h"

int main(void)
{
	struct replay r;

	replay_init(&r, 60);
	CHECK_INTEQ(replay_wait_ms(&r, 1000000, 5000), 0);          /* the first goes at once */
	CHECK_INTEQ(replay_wait_ms(&r, 1000000 + 60000, 5000), 1000); /* a minute later: 1 s at 60× */
	CHECK_INTEQ(replay_wait_ms(&r, 1000000 + 60000, 5600), 400);
	CHECK_INTEQ(replay_wait_ms(&r, 1000000 + 60000, 7000), 0);    /* late: no wait */
	CHECK_INTEQ(replay_wait_ms(&r, 999000, 7000), 0);              /* earlier than the first */
	CHECK_INTEQ(replay_wait_ms(&r, 1000000 + 3600000, 5000), 60000);
	replay_init(&r, 0);
	CHECK_INTEQ(replay_wait_ms(&r, 1, 0), 0);
	CHECK_INTEQ(replay_wait_ms(&r, 100000000, 0), 0);
	replay_init(&r, 1);
	replay_wait_ms(&r, 0, 0);
	CHECK_INTEQ(replay_wait_ms(&r, 2500, 1000), 1500);
	return check_done("test_replay");
}
