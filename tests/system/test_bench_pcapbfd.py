"""bench/bfd_scale/pcapbfd.py (pure functions, no lab): late transmit gaps
are grouped into episodes, each with how long each direction of the wire
was silent before it — both directions silent is a stall of the whole
machine, the measured one alone a stall of the measured daemon."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "bfd_scale"))

import pcapbfd  # noqa: E402

MS = 1_000_000
MEASURED = {"198.18.0.1", "198.18.0.2"}


def packet(src, dst, interval_us=50_000):
    return {"src": src, "dst": dst, "state": "Up", "final": False, "poll": False,
            "desired_min_tx": interval_us, "required_min_rx": interval_us, "detect_mult": 3}


def steady(src, dst, start_ms, end_ms, every_ms, skip=()):
    return [(t * MS, packet(src, dst)) for t in range(start_ms, end_ms, every_ms)
            if not any(a <= t < b for a, b in skip)]


def test_a_stall_of_the_measured_daemon_alone_is_one_episode_with_a_quiet_peer():
    # Two measured sessions every 45 ms; both skip the same 40 ms stretch
    # (their next gaps are 90 ms: late); the peer keeps sending every 5 ms.
    stall = [(1000, 1040)]
    packets = sorted(steady("198.18.0.1", "198.19.0.1", 100, 2000, 45, stall)
                     + steady("198.18.0.2", "198.19.0.2", 110, 2000, 45, stall)
                     + steady("198.19.0.1", "198.18.0.1", 100, 2000, 5), key=lambda p: p[0])
    out = pcapbfd.analyse(packets, MEASURED, 0, 2000 * MS)
    jitter = out["jitter"]
    assert jitter["late"] == 2
    [episode] = jitter["late_episodes"]
    assert episode["late_gaps"] == 2
    assert episode["measured_silence_ms"] >= 80
    assert episode["peer_silence_ms"] <= 5


def test_a_machine_wide_stall_silences_both_directions_and_separate_stalls_stay_apart():
    stalls = [(500, 560), (1500, 1560)]
    packets = sorted(steady("198.18.0.1", "198.19.0.1", 100, 2000, 45, stalls)
                     + steady("198.19.0.1", "198.18.0.1", 100, 2000, 5, stalls),
                     key=lambda p: p[0])
    episodes = pcapbfd.analyse(packets, MEASURED, 0, 2000 * MS)["jitter"]["late_episodes"]
    assert len(episodes) == 2
    for e in episodes:
        assert e["peer_silence_ms"] >= 60
        assert e["measured_silence_ms"] >= 60
    assert episodes[0]["at_s"] < 0.7 < 1.5 < episodes[1]["at_s"]


def test_no_late_gap_no_episode():
    packets = steady("198.18.0.1", "198.19.0.1", 0, 1000, 45)
    assert pcapbfd.analyse(packets, MEASURED, 0, 1000 * MS)["jitter"]["late_episodes"] == []


def test_episode_summary_calls_a_stall_machine_wide_past_a_tenth_of_the_interval():
    import bfd_scale
    episodes = [{"at_s": 1.0, "late_gaps": 3, "measured_silence_ms": 3.3, "peer_silence_ms": 3.2},
                {"at_s": 2.0, "late_gaps": 9, "measured_silence_ms": 4.8, "peer_silence_ms": 0.4},
                {"at_s": 3.0, "late_gaps": 1, "measured_silence_ms": 6.0, "peer_silence_ms": 5.5}]
    # At 10 ms a 1 ms silence of both directions is past fbfd's margin.
    assert bfd_scale.episodes_summary(episodes, 10) == "3 (2)"
    # At 50 ms only stalls of 5 ms or more count.
    assert bfd_scale.episodes_summary(episodes, 50) == "3 (1)"
    assert bfd_scale.episodes_summary([], 50) == "0 (0)"


def _point(sessions=100, **flaps):
    quiet = {"sessions_not_up": 0, "up_to_other": 0, "gaps_over_detection_time": 0}
    f = {"measured_counter": 0, "measured_sessions_changed": 0, "peer_sessions_changed": 0,
         "measured_up_at_end": sessions, "peer_up_at_end": sessions,
         "wire_from_measured": dict(quiet), "wire_from_peer": dict(quiet)}
    for k, v in flaps.items():
        if k in ("wire_from_measured", "wire_from_peer"):
            f[k].update(v)
        else:
            f[k] = v
    return {"sessions": sessions, "flaps": f}


def test_peer_marks_with_no_other_sign_are_not_flaps_but_are_kept():
    import bfd_scale
    point = _point(peer_sessions_changed=64)
    assert bfd_scale.total_flaps(point) == 0
    assert point["flaps"]["peer_marks_without_evidence"] == 64


def test_peer_marks_count_beside_any_other_sign():
    import bfd_scale
    # The peer's packets said Down for two sessions: its 64 marks count too.
    assert bfd_scale.total_flaps(_point(peer_sessions_changed=64,
                                        wire_from_peer={"sessions_not_up": 2})) == 66
    # The measured daemon's own counter is a sign of its own.
    assert bfd_scale.total_flaps(_point(measured_counter=1, peer_sessions_changed=1)) == 2
    # A gap beyond the Detection Time on the measured side's transmissions.
    point = _point(peer_sessions_changed=3, wire_from_measured={"gaps_over_detection_time": 1})
    assert bfd_scale.total_flaps(point) == 4
    assert "peer_marks_without_evidence" not in point["flaps"]
    # A session not Up at the end.
    assert bfd_scale.total_flaps(_point(measured_up_at_end=99)) == 1


def _flap(src, dst, at_ms, diag, back_ms):
    """Up until at_ms, then Down with `diag`, Init, and Up again from back_ms."""
    out = steady(src, dst, 0, at_ms, 40)
    down = dict(packet(src, dst), state="Down", diag=diag)
    out.append((at_ms * MS, down))
    out.append(((at_ms + 1) * MS, dict(packet(src, dst), state="Init", diag=diag)))
    out += steady(src, dst, back_ms, back_ms + 200, 40)
    return out


def test_flap_origins_name_the_side_that_left_up_first_and_its_diag():
    m, p = "198.18.0.1", "198.19.0.1"
    # The peer declares its Detection Time expired (diag 1) at 300 ms; the
    # measured side follows half a millisecond later (diag 3).
    packets = sorted(_flap(p, m, 300, 1, 400) + [
        (ts + MS // 2, pk) if pk["state"] != "Up" else (ts, pk) for ts, pk in _flap(m, p, 300, 3, 400)],
        key=lambda tp: tp[0])
    origins = pcapbfd.analyse(packets, {m}, 0, 1000 * MS)["wire_flaps"]["origins"]
    assert origins == {"measured": {}, "peer": {1: 1}}
    # The other way round: the measured side went first.
    packets = sorted(_flap(m, p, 300, 1, 400) + [
        (ts + MS // 2, pk) if pk["state"] != "Up" else (ts, pk) for ts, pk in _flap(p, m, 300, 3, 400)],
        key=lambda tp: tp[0])
    origins = pcapbfd.analyse(packets, {m}, 0, 1000 * MS)["wire_flaps"]["origins"]
    assert origins == {"measured": {1: 1}, "peer": {}}


def test_flaps_the_peer_started_on_its_own_detection_time_are_kept_apart():
    import bfd_scale
    # 71 sessions: the peer said diag 1 first, the measured daemon followed,
    # and none of the measured daemon's gaps exceeded the Detection Time.
    signs = dict(measured_counter=71, measured_sessions_changed=71, peer_sessions_changed=71,
                 wire_from_measured={"sessions_not_up": 71, "up_to_other": 71},
                 wire_from_peer={"sessions_not_up": 71, "up_to_other": 71})
    point = _point(sessions=1000, wire_origins={"measured": {}, "peer": {1: 71}}, **signs)
    assert bfd_scale.total_flaps(point) == 0
    assert point["flaps"]["peer_detections_without_gap"] == 71
    # The same, but the measured daemon left a gap beyond the Detection Time:
    # the peer was right, they count.
    point = _point(sessions=1000, wire_origins={"measured": {}, "peer": {1: 71}},
                   **{**signs, "wire_from_measured": {"sessions_not_up": 71, "up_to_other": 71,
                                                      "gaps_over_detection_time": 1}})
    assert bfd_scale.total_flaps(point) > 0
    # The measured daemon started one of them: everything counts.
    point = _point(sessions=1000, wire_origins={"measured": {1: 1}, "peer": {1: 70}}, **signs)
    assert bfd_scale.total_flaps(point) > 0
    assert "peer_detections_without_gap" not in point["flaps"]
