"""The Celery app and its task class.

Every task of the project is a `Task` (below): Celery's own DjangoTask, with
the after-commit hand-over made safe for the request that triggers it. A
task is handed to the broker only after the transaction that wrote its rows
has committed (the worker reads those rows); if the broker is down, the
hand-over fails fast, is logged and never raises into the caller, whose
work has committed: the app's sweeps send what was not handed over.
"""

from __future__ import annotations

import functools
import logging
import os
import time

from celery import Celery
from celery.contrib.django.task import DjangoTask
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerOperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

logger = logging.getLogger(__name__)

# One quick retry (a pooled connection may be stale after a Redis restart;
# the retry reconnects), then give up and leave the task to its sweep. With
# the socket timeouts in settings (CELERY_BROKER_TRANSPORT_OPTIONS) a broker
# that is down costs a request well under a second.
FAST_FAIL_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}

# After a hand-over failed for want of a broker, the next ones in this
# process fail at once for this long instead of waiting again: a request
# that notifies five people and queues a report pays for one failure, not
# six. What is skipped is logged and left to the sweeps, exactly like a
# hand-over that failed.
BROKER_DOWN_SECONDS = 2.0

# Per process, shared by its threads: the broker is down for all of them.
# A lost race between threads costs one extra fast failure, nothing more.
_broker_down_until = 0.0


def _broker_known_down() -> bool:
    return time.monotonic() < _broker_down_until


def _remember_broker_down() -> None:
    global _broker_down_until
    _broker_down_until = time.monotonic() + BROKER_DOWN_SECONDS


def forget_broker_down() -> None:
    """Forget a recent broker failure (for tests that bring the broker back)."""
    global _broker_down_until
    _broker_down_until = 0.0


class Task(DjangoTask):
    """The project's task class (Celery(task_cls=...)).

    - `apply_async_on_commit(args, kwargs, **options)` / `delay_on_commit(*args)`:
      hand over after the commit; registered with robust=True and never
      raising, so a broker error after commit cannot turn the user's
      committed action into an error page.
    - `hand_over(args, kwargs, **options) -> bool` and its short form
      `enqueue(*args, **kwargs) -> bool`: hand over now (a sweep, or code
      that runs outside a transaction), never raising; False when the
      broker did not take it. This replaces the hand-written
      assessments.tasks.enqueue(task, *args): `task.enqueue(*args)`.

    All of them use FAST_FAIL_RETRY_POLICY unless given a retry_policy, and ignore
    the task's result: nobody can wait for a result that has no AsyncResult
    to wait on, and subscribing to it (the Redis result backend does that
    before publishing) is one more round trip to a broker that may be down.
    """

    def hand_over(self, args=None, kwargs=None, **options) -> bool:
        """apply_async that fails fast and never raises; True when handed over."""
        eager = self.app.conf.task_always_eager
        if not eager and _broker_known_down():
            logger.warning("Broker unreachable a moment ago: %s%s not handed over; its sweep sends it", self.name, args)
            return False
        options.setdefault("retry_policy", FAST_FAIL_RETRY_POLICY)
        options.setdefault("ignore_result", True)
        try:
            self.apply_async(args, kwargs, **options)
        except Exception as error:  # noqa: BLE001 - the caller's work has committed; log, the sweep sends later
            if eager:
                # No broker: the task ran right here and failed. Its own
                # service has recorded what it could; the caller goes on.
                logger.exception("Task %s%s failed in an eager run", self.name, args)
            else:
                if isinstance(error, BrokerOperationalError | OSError):
                    _remember_broker_down()
                logger.exception("Could not hand %s%s to the broker; its sweep sends it later", self.name, args)
            return False
        return True

    def enqueue(self, *args, **kwargs) -> bool:
        return self.hand_over(args, kwargs)

    def apply_async_on_commit(self, args=None, kwargs=None, **options) -> None:
        # The task reads rows of this transaction, so it must not be handed
        # over before the commit; on rollback it is never handed over at all.
        # hand_over() already catches everything; robust=True is the second
        # belt, so nothing raised here can reach the committed request.
        transaction.on_commit(functools.partial(self.hand_over, args, kwargs, **options), robust=True)

    def delay_on_commit(self, *args, **kwargs) -> None:
        self.apply_async_on_commit(args, kwargs)


app = Celery("familienzentrum", task_cls=Task)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
