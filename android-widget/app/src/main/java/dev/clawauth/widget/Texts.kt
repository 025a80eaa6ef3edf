package dev.clawauth.widget

import android.content.Context
import android.text.format.DateUtils
import dev.clawauth.widget.logic.CellModel
import dev.clawauth.widget.logic.Line
import dev.clawauth.widget.logic.Tap
import dev.clawauth.widget.logic.Tone

/** A cell's words, from string resources: the logic decides what, this says it. */
object Texts {
    private const val MINUTE = 60_000L
    private const val HOUR = 60 * MINUTE
    private const val DAY = 24 * HOUR

    /** "5 hours", "1 day 4 hours", "12 days", "under a minute". */
    fun duration(context: Context, ms: Long): String {
        val res = context.resources
        return when {
            ms < MINUTE -> context.getString(R.string.duration_under_a_minute)
            ms < HOUR -> (ms / MINUTE).toInt().let { res.getQuantityString(R.plurals.duration_minutes, it, it) }
            ms < DAY -> (ms / HOUR).toInt().let { res.getQuantityString(R.plurals.duration_hours, it, it) }
            ms < 3 * DAY -> {
                val days = (ms / DAY).toInt()
                val hours = ((ms % DAY) / HOUR).toInt()
                val d = res.getQuantityString(R.plurals.duration_days, days, days)
                if (hours == 0) d else context.getString(
                    R.string.duration_two_units, d, res.getQuantityString(R.plurals.duration_hours, hours, hours),
                )
            }
            else -> (ms / DAY).toInt().let { res.getQuantityString(R.plurals.duration_days, it, it) }
        }
    }

    /** A moment, as short as it can be said: "14:05" today, "Mon 14:05" this week, else "3 Dec". */
    fun moment(context: Context, ms: Long, nowMs: Long = System.currentTimeMillis()): String {
        val flags = when {
            DateUtils.isToday(ms) -> DateUtils.FORMAT_SHOW_TIME
            nowMs - ms in 0 until 6 * DAY ->
                DateUtils.FORMAT_SHOW_WEEKDAY or DateUtils.FORMAT_ABBREV_WEEKDAY or DateUtils.FORMAT_SHOW_TIME
            else -> DateUtils.FORMAT_SHOW_DATE or DateUtils.FORMAT_ABBREV_MONTH
        }
        return DateUtils.formatDateTime(context, ms, flags)
    }

    /** A date and time in full ("3 December 2026, 14:05"), for a new expiry. */
    fun dateTime(context: Context, ms: Long): String = DateUtils.formatDateTime(
        context, ms,
        DateUtils.FORMAT_SHOW_DATE or DateUtils.FORMAT_SHOW_YEAR or DateUtils.FORMAT_SHOW_TIME,
    )

    /** The status line. */
    fun status(context: Context, line: Line): String = when (line) {
        is Line.Checking -> context.getString(R.string.status_checking)
        is Line.TimeLeft -> context.getString(
            R.string.status_time_left, duration(context, line.remainingMs.coerceAtLeast(0)), line.provider,
        )
        is Line.NoExpiry -> context.getString(R.string.status_no_expiry, line.provider)
        is Line.Expired -> context.getString(R.string.status_expired, line.provider)
        is Line.Missing -> context.getString(R.string.status_missing, line.provider)
        is Line.LastGood, is Line.Unreachable -> context.getString(R.string.status_unreachable)
        is Line.HostKeyChanged -> context.getString(R.string.status_host_key_changed)
        is Line.HostKeyUnknown -> context.getString(R.string.status_host_key_unknown)
        is Line.NeedsSetup -> context.getString(R.string.status_needs_setup)
    }

    /** The second line: when it was checked, or what is wrong. */
    fun detail(context: Context, cell: CellModel): String = when (val line = cell.line) {
        is Line.Checking -> ""
        is Line.LastGood -> context.getString(
            R.string.age_last_good,
            moment(context, cell.takenAtMs ?: (System.currentTimeMillis() - line.ageMs)),
            line.headline,
        )
        is Line.Unreachable -> line.reason
        is Line.HostKeyChanged -> context.getString(R.string.age_host_key_changed)
        is Line.HostKeyUnknown -> context.getString(R.string.age_host_key_unknown, line.fingerprint)
        is Line.NeedsSetup -> line.reason
        is Line.TimeLeft, is Line.NoExpiry, is Line.Expired, is Line.Missing ->
            cell.takenAtMs?.let { context.getString(R.string.age_checked, moment(context, it)) } ?: ""
    }

    fun tone(context: Context, tone: Tone): String = context.getString(
        when (tone) {
            Tone.LOADING -> R.string.tone_loading
            Tone.OK -> R.string.tone_ok
            Tone.EXPIRING -> R.string.tone_expiring
            Tone.LAPSED -> R.string.tone_lapsed
            Tone.UNREACHABLE -> R.string.tone_unreachable
            Tone.BLOCKED -> R.string.tone_blocked
        },
    )

    /** What a tap does, for TalkBack. */
    fun tapHint(context: Context, tap: Tap): String = context.getString(
        when (tap) {
            is Tap.Refresh -> R.string.cd_tap_refresh
            is Tap.Reauth -> R.string.cd_tap_reauth
            is Tap.HostKeyDetails -> R.string.cd_tap_host_key
            is Tap.Setup -> R.string.cd_tap_setup
        },
    )

    /** Everything TalkBack reads for the cell. */
    fun description(context: Context, cell: CellModel): String = context.getString(
        R.string.cd_widget, cell.host, status(context, cell.line), detail(context, cell).ifEmpty { cell.headline },
        tapHint(context, cell.tap),
    )
}
