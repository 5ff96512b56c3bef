"""The kinds of event the audit chain records (``events.kind``), by what appends them."""

from __future__ import annotations

from enum import StrEnum


class EventKind(StrEnum):
    """One ``events.kind``; outside scripts and notification filters read these names."""

    # items: queued, imported, changed
    QUEUED = "queued"
    IMPORTED = "imported"
    EDITED = "edited"
    BACKFILLED = "backfilled"
    # the disclosure catalogue: a 索引号 handed out, a record's validity changed
    INDEX_ASSIGNED = "index_assigned"
    VALIDITY_CHANGED = "validity_changed"
    # review (one per review_decisions row) and standing approvals of series
    REVIEW_SUBMITTED = "review_submitted"
    REVIEW_APPROVED = "review_approved"
    REVIEW_REJECTED = "review_rejected"
    REVIEW_RESTARTED = "review_restarted"
    STANDING_APPROVAL_GRANTED = "standing_approval_granted"
    STANDING_APPROVAL_REVOKED = "standing_approval_revoked"
    # series occurrences that produced no item
    SERIES_SKIPPED = "series_skipped"
    SERIES_MISSING_DATA = "series_missing_data"
    SERIES_FAILED = "series_failed"
    # deliveries
    CLAIMED = "claimed"
    RELEASED = "released"
    ATTEMPT = "attempt"
    CHECKPOINT = "checkpoint"
    LEASE_LOST = "lease_lost"
    PUBLISHED = "published"
    IN_DOUBT = "in_doubt"
    RETRY = "retry"
    FAILED = "failed"
    DEAD = "dead"
    RETRACT_FAILED = "retract_failed"
    RETRACT_REQUESTED = "retract_requested"
    RETRACTED = "retracted"
    REMOVED_ON_PLATFORM = "removed_on_platform"
    REMOVAL_OBSERVED = "removal_observed"  # reconcile read a removal back; nothing changed until a person applies it
    RECONCILE_REFUSED = "reconcile_refused"  # too many removals at once: a likely outage or misconfiguration
    REPORT_REVISED = "report_revised"  # a frozen year's report filed again, with a reason
    APPEAL_DECIDED = "appeal_decided"  # the registers: a pending 行政复议/诉讼 got its result
    APPLICATION_PAUSED = "application_paused"  # … an application's clock stopped (补正, 第三方, 收费) or restarted
    UPDATE_REQUESTED = "update_requested"
    HELD = "held"
    # channels
    PAUSED = "paused"
    RESUMED = "resumed"
    CHANNEL_CLOSING = "channel_closing"  # its 停更公告 was queued: nothing new is queued for it
    CHANNEL_CLOSED = "channel_closed"  # the 停更公告 was published: the channel is disabled
    IDLE_WARNING = "idle_warning"  # a channel or column nears its inspection limit without a publication
    # 转载任务
    REPOST_TASK_ADDED = "repost_task_added"
    REPOST_ITEM_MADE = "repost_item_made"
    REPOST_CARRIED = "repost_carried"  # a copy made outside publisher, recorded by hand with its URL
    # users and console sessions
    USER_ADDED = "user_added"
    USER_DISABLED = "user_disabled"
    USER_ENABLED = "user_enabled"
    PASSWORD_SET = "password_set"
    TOKEN_ISSUED = "token_issued"
    TOKEN_REVOKED = "token_revoked"
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGIN_LOCKED = "login_locked"
    LOGIN_REFUSED = "login_refused"
    LOGOUT = "logout"
    # operations
    BACKUP_TAKEN = "backup_taken"
    # inspection readiness: the external checking service's verdict, re-scans and their correction tasks, link checks
    EXTERNAL_CHECK = "external_check"
    RESCANNED = "rescanned"
    CORRECTION_OPENED = "correction_opened"
    CORRECTION_CORRECTED = "correction_corrected"
    CORRECTION_DISMISSED = "correction_dismissed"
    LINKS_CHECKED = "links_checked"
