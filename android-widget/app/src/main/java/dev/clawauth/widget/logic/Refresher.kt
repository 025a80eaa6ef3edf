package dev.clawauth.widget.logic

import uniffi.clawauth_ffi.ClawauthException
import uniffi.clawauth_ffi.ClawauthInterface
import uniffi.clawauth_ffi.Level
import uniffi.clawauth_ffi.Notice
import uniffi.clawauth_ffi.NoticeKind

/**
 * A notification to post. The core's monitor policy (changes-only: something got worse or was
 * fixed) decided that it is due; [reauth] is the action button when a re-auth fixes it.
 */
data class NoticeModel(
    val host: String,
    val tone: Tone,
    val title: String,
    val body: String,
    val reauth: Tap.Reauth?,
    /** Notices about the same credential share it: a later one replaces the earlier. */
    val key: String = "$host/$title",
)

/** The scheduled refresh of one gateway: a check, its cell, and a notice when due. */
class Refresher(private val clawauth: ClawauthInterface) {
    /** One check; the cell to show and, when something got worse or was fixed, the notice to post. */
    suspend fun refresh(host: String): Pair<CellModel, NoticeModel?> {
        val watched = try {
            clawauth.watch(host)
        } catch (e: ClawauthException) {
            return Presenter.failed(host, e, clawauth.lastGood(host)) to null
        }
        val cell = Presenter.present(host, watched.result)
        // The most urgent notice of this run (several credentials may change at once).
        val notice = watched.notices.maxByOrNull { it.priority.toInt() }?.let { notice(it, cell) }
        return cell to notice
    }

    private fun notice(n: Notice, cell: CellModel): NoticeModel {
        val tone = when {
            n.kind == NoticeKind.RECOVERED -> Tone.OK
            else -> when (n.level) {
                Level.OK -> Tone.OK
                Level.EXPIRING -> Tone.EXPIRING
                Level.EXPIRED, Level.MISSING -> Tone.LAPSED
                Level.UNREACHABLE -> Tone.UNREACHABLE
            }
        }
        // A fixed credential needs no action; otherwise the alert's own link, else the cell's.
        val reauth = if (n.kind == NoticeKind.RECOVERED) {
            null
        } else {
            n.click?.let { link -> parseReauthLink(link) } ?: (cell.tap as? Tap.Reauth)
        }
        return NoticeModel(n.host, tone, n.title, n.text, reauth, n.sequenceId)
    }

    companion object {
        /**
         * `clawauth://reauth?host=NAME[&provider=P]` (the link the monitor's alerts carry) as a
         * tap target; null for anything else. Values are percent-decoded.
         */
        fun parseReauthLink(link: String): Tap.Reauth? {
            val prefix = "clawauth://reauth?"
            if (!link.startsWith(prefix)) return null
            val params = link.removePrefix(prefix).split('&').mapNotNull { kv ->
                val i = kv.indexOf('=')
                if (i <= 0) null else kv.substring(0, i) to percentDecode(kv.substring(i + 1))
            }.toMap()
            val host = params["host"]?.takeIf { it.isNotBlank() } ?: return null
            return Tap.Reauth(host, params["provider"]?.takeIf { it.isNotBlank() } ?: "anthropic")
        }

        private fun percentDecode(s: String): String {
            val out = java.io.ByteArrayOutputStream()
            var i = 0
            while (i < s.length) {
                val c = s[i]
                if (c == '%' && i + 2 < s.length) {
                    val v = s.substring(i + 1, i + 3).toIntOrNull(16)
                    if (v != null) {
                        out.write(v)
                        i += 3
                        continue
                    }
                }
                out.write(c.toString().toByteArray(Charsets.UTF_8))
                i++
            }
            return String(out.toByteArray(), Charsets.UTF_8)
        }
    }
}
