"""A few SIGKILL trials of a real ``feedbackbot run`` process against the fake Bot API (the
benchmark suite runs fifty): nothing a customer answered is lost or stored twice, every
conversation finishes, every alert and campaign invitation arrives."""

from __future__ import annotations

from bench.kill_trials import run_trials


async def test_sigkill_mid_traffic_loses_nothing() -> None:
    results = await run_trials(trials=2, parallel=2, customers=8, recipients=30)
    for result in results:
        assert not result["timed_out"]
        assert result["starts"] == 4  # killed three times mid-traffic, restarted each time
        for key in ("answers_missing", "answers_doubled", "answers_wrong", "conversations_unfinished",
                    "alerts_missing", "invitations_missing"):
            assert result[key] == 0, (key, result)
