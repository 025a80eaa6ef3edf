package dev.clawauth.widget.logic

import uniffi.clawauth_ffi.CheckResult
import uniffi.clawauth_ffi.ClawauthException
import uniffi.clawauth_ffi.LastGood
import uniffi.clawauth_ffi.Level
import uniffi.clawauth_ffi.Problem

/**
 * What a widget cell shows, decided without any Android type: the view maps a [Tone] to its
 * colours and a [Line] to a string resource, so every word on screen lives in resources and
 * this file is tested on the JVM against real checks.
 */
enum class Tone { LOADING, OK, EXPIRING, LAPSED, UNREACHABLE, BLOCKED }

/** The cell's status line, as data; the view words it. */
sealed interface Line {
    data object Checking : Line
    /** Fine or expiring: this long left. */
    data class TimeLeft(val remainingMs: Long, val provider: String) : Line
    /** Fine, and it does not expire (an API key). */
    data class NoExpiry(val provider: String) : Line
    data class Expired(val provider: String) : Line
    data class Missing(val provider: String) : Line
    /** The gateway cannot be read now; this is what was last known, and how old it is. */
    data class LastGood(val ageMs: Long, val headline: String) : Line
    /** The gateway cannot be read now and nothing was known before. */
    data class Unreachable(val reason: String) : Line
    /** The gateway's host key changed: blocking until the person looks at both fingerprints. */
    data class HostKeyChanged(val stored: String, val offered: String) : Line
    /** The gateway's host key is not trusted yet. */
    data class HostKeyUnknown(val fingerprint: String) : Line
    /** The phone's key is not accepted yet, or no key can be used. */
    data class NeedsSetup(val reason: String) : Line
}

/** What a tap on the cell does. */
sealed interface Tap {
    data object Refresh : Tap
    data class Reauth(val host: String, val provider: String) : Tap
    data class HostKeyDetails(val host: String, val stored: String, val offered: String) : Tap
    data class Setup(val host: String) : Tap
}

/**
 * One cell. [headline] is the core's one line about the check (for the content description and
 * notifications); [takenAtMs] is when the shown state was read (a last good check's own time).
 */
data class CellModel(
    val host: String,
    val tone: Tone,
    val line: Line,
    val tap: Tap,
    val headline: String,
    val takenAtMs: Long?,
)

/** Check results → cells. */
object Presenter {
    fun loading(host: String): CellModel =
        CellModel(host, Tone.LOADING, Line.Checking, Tap.Refresh, "$host: checking", null)

    /** The cell for a finished check (the core's Glance decides the level). */
    fun present(host: String, result: CheckResult): CellModel {
        val glance = result.glance
        val provider = glance.subject?.provider ?: result.offer?.provider ?: "anthropic"
        // What stopped the check comes first: it decides what a tap can do.
        blocking(host, result.problems)?.let { (tone, line, tap) ->
            return CellModel(host, tone, line, tap, glance.headline, result.takenAtMs)
        }
        return when (glance.level) {
            Level.OK -> {
                val left = glance.subject?.remainingMs
                val line = if (left == null) Line.NoExpiry(provider) else Line.TimeLeft(left, provider)
                CellModel(host, Tone.OK, line, Tap.Refresh, glance.headline, result.takenAtMs)
            }
            Level.EXPIRING -> CellModel(
                host,
                Tone.EXPIRING,
                Line.TimeLeft(glance.subject?.remainingMs ?: 0L, provider),
                reauthOr(host, result),
                glance.headline,
                result.takenAtMs,
            )
            Level.EXPIRED -> CellModel(
                host, Tone.LAPSED, Line.Expired(provider), reauthOr(host, result),
                glance.headline, result.takenAtMs,
            )
            Level.MISSING -> CellModel(
                host, Tone.LAPSED, Line.Missing(provider), reauthOr(host, result),
                glance.headline, result.takenAtMs,
            )
            Level.UNREACHABLE -> unreachable(host, glance.headline, result.lastGood, reason(result))
        }
    }

    /** The cell for a check that threw (an invalid host, a store that failed, a cancelled call). */
    fun failed(host: String, error: ClawauthException, lastGood: LastGood?): CellModel {
        val why = words(error)
        val headline = "$host: $why"
        return when (error) {
            is ClawauthException.HostKeyChanged -> CellModel(
                host, Tone.BLOCKED, Line.HostKeyChanged(error.stored, error.offered),
                Tap.HostKeyDetails(host, error.stored, error.offered), headline, null,
            )
            is ClawauthException.HostKeyUnknown -> CellModel(
                host, Tone.BLOCKED, Line.HostKeyUnknown(error.fingerprint), Tap.Setup(host), headline, null,
            )
            is ClawauthException.NoKey, is ClawauthException.KeysRefused,
            is ClawauthException.KeyNeedsPassphrase -> CellModel(
                host, Tone.BLOCKED, Line.NeedsSetup(why), Tap.Setup(host), headline, null,
            )
            else -> unreachable(host, headline, lastGood, why)
        }
    }

    /**
     * An error in a few words from its fields (the generated exception's own message lists the
     * fields as `name=value`, which is not for people).
     */
    fun words(e: ClawauthException): String = when (e) {
        is ClawauthException.HostKeyUnknown -> "host key not trusted yet (${e.fingerprint})"
        is ClawauthException.HostKeyChanged -> "host key changed"
        is ClawauthException.HostKeyRevoked -> "host key revoked"
        is ClawauthException.NoKey -> "no SSH key for ${e.user}@${e.host}"
        is ClawauthException.KeysRefused -> "${e.user}@${e.host} does not accept this phone's key"
        is ClawauthException.KeyNeedsPassphrase -> "a key needs its passphrase"
        is ClawauthException.CannotResolve -> "cannot resolve ${e.host}"
        is ClawauthException.CannotConnect -> "cannot connect to ${e.address}"
        is ClawauthException.TimedOut -> "no answer in time"
        is ClawauthException.GatewayCommandFailed -> e.reason
        is ClawauthException.StateUnreadable -> "cannot read ${e.path}"
        is ClawauthException.NeedsOpenclawCli -> e.reason
        is ClawauthException.InvalidInput -> e.reason
        is ClawauthException.Callback -> e.reason
        is ClawauthException.Cancelled -> "cancelled"
        is ClawauthException.Other -> e.reason
    }

    private fun unreachable(host: String, headline: String, lastGood: LastGood?, reason: String): CellModel =
        if (lastGood != null) {
            CellModel(
                host, Tone.UNREACHABLE, Line.LastGood(lastGood.ageMs, lastGood.headline), Tap.Refresh,
                headline, lastGood.keptAtMs,
            )
        } else {
            CellModel(host, Tone.UNREACHABLE, Line.Unreachable(reason), Tap.Refresh, headline, null)
        }

    /** A problem that no refresh fixes: the host key, or the phone's key. */
    private fun blocking(host: String, problems: List<Problem>): Triple<Tone, Line, Tap>? {
        for (p in problems) {
            when (p) {
                is Problem.HostKeyChanged -> return Triple(
                    Tone.BLOCKED, Line.HostKeyChanged(p.stored, p.offered),
                    Tap.HostKeyDetails(host, p.stored, p.offered),
                )
                is Problem.HostKeyRevoked -> return Triple(
                    Tone.BLOCKED, Line.HostKeyChanged(p.fingerprint, p.fingerprint),
                    Tap.HostKeyDetails(host, p.fingerprint, p.fingerprint),
                )
                is Problem.HostKeyUnknown -> return Triple(
                    Tone.BLOCKED, Line.HostKeyUnknown(p.fingerprint), Tap.Setup(host),
                )
                is Problem.NoKey -> return Triple(
                    Tone.BLOCKED, Line.NeedsSetup("no SSH key for ${p.user}@${p.host}"), Tap.Setup(host),
                )
                is Problem.KeysRefused -> return Triple(
                    Tone.BLOCKED, Line.NeedsSetup("${p.user}@${p.host} does not accept this phone's key"),
                    Tap.Setup(host),
                )
                is Problem.KeyNeedsPassphrase -> return Triple(
                    Tone.BLOCKED, Line.NeedsSetup("a key needs its passphrase"), Tap.Setup(host),
                )
                else -> {}
            }
        }
        return null
    }

    private fun reauthOr(host: String, result: CheckResult): Tap =
        result.offer?.let { Tap.Reauth(host, it.provider) } ?: Tap.Refresh

    private fun reason(result: CheckResult): String =
        result.problems.firstOrNull()?.let { describe(it) } ?: result.glance.headline

    /** One problem in a few words (the cell is small; the core's full words are in the detail). */
    fun describe(p: Problem): String = when (p) {
        is Problem.CannotResolve -> "cannot resolve ${p.host}"
        is Problem.CannotConnect -> "cannot connect to ${p.address}"
        is Problem.TimedOut -> "no answer in time"
        is Problem.GatewayCommandFailed -> p.reason
        is Problem.StateUnreadable -> "cannot read ${p.path}"
        is Problem.NeedsOpenclawCli -> p.reason
        is Problem.InvalidInput -> p.reason
        is Problem.Other -> p.reason
        is Problem.HostKeyChanged -> "host key changed"
        is Problem.HostKeyRevoked -> "host key revoked"
        is Problem.HostKeyUnknown -> "host key not trusted yet"
        is Problem.NoKey -> "no SSH key"
        is Problem.KeysRefused -> "key refused"
        is Problem.KeyNeedsPassphrase -> "key needs its passphrase"
    }
}
