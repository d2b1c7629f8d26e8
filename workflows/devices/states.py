"""The command state machine: queued → sent → acked | failed | expired. Only the gateway (role "system") moves a
command; workflows/devices/service.py is the only code applying this table.

An "open" is never retried: a command that was not acknowledged in time ends as expired, and the caller says so.
"""

from workflows.devices.models import CommandStatus as S
from workflows.statemachine import Transition

GATEWAY = {"system"}

TRANSITIONS = {
    (S.QUEUED, "send"): Transition(S.SENT, roles=GATEWAY),  # published to …/cmd/{id}
    (S.QUEUED, "fail"): Transition(S.FAILED, roles=GATEWAY),  # the broker cannot be reached
    (S.QUEUED, "expire"): Transition(S.EXPIRED, roles=GATEWAY),  # never published before its expiry
    (S.SENT, "ack"): Transition(S.ACKED, roles=GATEWAY),  # the device did it
    (S.SENT, "fail"): Transition(S.FAILED, roles=GATEWAY),  # the device refused (jammed, unknown action)
    (S.SENT, "expire"): Transition(S.EXPIRED, roles=GATEWAY),  # no acknowledgement in time
}

STATUS_LABELS = {S.QUEUED: "排队中", S.SENT: "已发送", S.ACKED: "已执行", S.FAILED: "失败", S.EXPIRED: "已过期"}
