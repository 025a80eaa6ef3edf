package dev.clawauth.widget.logic

import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.Job
import kotlinx.coroutines.currentCoroutineContext
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import uniffi.clawauth_ffi.ClawauthException
import uniffi.clawauth_ffi.ClawauthInterface
import uniffi.clawauth_ffi.ReauthStep
import uniffi.clawauth_ffi.ReauthUi

/** What the re-auth screen shows. */
sealed interface ReauthScreen {
    data object Idle : ReauthScreen
    data class Progress(val text: String) : ReauthScreen
    /** Sign in at [url] (and enter [code] there, for a device-code login). */
    data class OpenBrowser(val url: String, val code: String?) : ReauthScreen
    data class AskCode(val prompt: String) : ReauthScreen
    /** A hidden field (an API key). */
    data class AskSecret(val prompt: String) : ReauthScreen
    data class Confirm(val question: String) : ReauthScreen
    data class Done(val headline: String, val expiresAtMs: Long?, val ok: Boolean) : ReauthScreen
    data class Failed(val message: String) : ReauthScreen
}

/**
 * The guided re-auth of [provider] on gateway [host], as screen states: the core runs the flow
 * over SSH (`claude setup-token` in a PTY on the gateway, the paste into OpenClaw, the restart,
 * the re-check) and asks through [ReauthUi]; each question waits here until the screen answers
 * ([submitCode], [submitSecret], [answer], [browserOpened]). No Android type: the activity
 * renders [state] and [steps]. [cancel] (or cancelling the scope [run] runs in) drops the call,
 * which closes the SSH connection and the gateway's PTY; the old credential stays.
 */
class ReauthViewModel(
    private val clawauth: ClawauthInterface,
    private val host: String,
    private val provider: String,
) {
    private val _state = MutableStateFlow<ReauthScreen>(ReauthScreen.Idle)
    val state: StateFlow<ReauthScreen> = _state.asStateFlow()

    private val _steps = MutableStateFlow<List<String>>(emptyList())
    /** The steps so far, in words. */
    val steps: StateFlow<List<String>> = _steps.asStateFlow()

    private val lock = Any()
    private var waiting: CompletableDeferred<Answer>? = null
    private var running: Job? = null
    @Volatile private var cancelled = false
    private var deviceCode: String? = null

    private sealed interface Answer {
        data class Text(val value: String?) : Answer
        data class YesNo(val yes: Boolean) : Answer
        data object Opened : Answer
        data object Cancelled : Answer
    }

    /** Runs the flow to its end ([ReauthScreen.Done] or [ReauthScreen.Failed]). */
    suspend fun run() {
        val job = currentCoroutineContext()[Job]
        synchronized(lock) { running = job }
        _state.value = ReauthScreen.Progress("Connecting to $host")
        try {
            val outcome = clawauth.reauth(host, provider, Ui())
            // Cancelled at a question: the core stopped with the old credential in place.
            _state.value = if (cancelled && !outcome.done) {
                ReauthScreen.Failed(CANCELLED)
            } else {
                ReauthScreen.Done(outcome.headline, outcome.newExpiresAtMs, outcome.done)
            }
        } catch (e: CancellationException) {
            _state.value = ReauthScreen.Failed(CANCELLED)
            throw e
        } catch (e: ClawauthException) {
            _state.value = ReauthScreen.Failed(
                if (cancelled) CANCELLED else e.message ?: "re-auth failed",
            )
        } finally {
            synchronized(lock) { running = null }
        }
    }

    fun submitCode(code: String) = give(Answer.Text(code.trim()))

    fun submitSecret(secret: String) = give(Answer.Text(secret))

    fun answer(yes: Boolean) = give(Answer.YesNo(yes))

    /** The person opened the sign-in page (or it was opened for them). */
    fun browserOpened() = give(Answer.Opened)

    /** Stops the flow: any question is answered "no", and the running call is dropped. */
    fun cancel() {
        cancelled = true
        give(Answer.Cancelled)
        synchronized(lock) { running }?.cancel(CancellationException("re-auth cancelled"))
    }

    private fun give(a: Answer) {
        synchronized(lock) { waiting }?.complete(a)
    }

    private suspend fun ask(screen: ReauthScreen): Answer {
        if (cancelled) return Answer.Cancelled
        val d = CompletableDeferred<Answer>()
        synchronized(lock) { waiting = d }
        _state.value = screen
        return try {
            d.await()
        } finally {
            synchronized(lock) { if (waiting === d) waiting = null }
        }
    }

    private fun note(text: String) {
        _steps.value = _steps.value + text
        _state.value = ReauthScreen.Progress(text)
    }

    private inner class Ui : ReauthUi {
        override suspend fun step(step: ReauthStep) {
            if (step is ReauthStep.DeviceCode) deviceCode = step.code
            note(words(step))
        }

        override suspend fun openUrl(url: String) {
            ask(ReauthScreen.OpenBrowser(url, deviceCode))
        }

        override suspend fun askCode(prompt: String): String? =
            (ask(ReauthScreen.AskCode(prompt)) as? Answer.Text)?.value?.takeIf { it.isNotEmpty() }

        override suspend fun askSecret(prompt: String): String? =
            (ask(ReauthScreen.AskSecret(prompt)) as? Answer.Text)?.value?.takeIf { it.isNotEmpty() }

        override suspend fun confirm(question: String): Boolean =
            (ask(ReauthScreen.Confirm(question)) as? Answer.YesNo)?.yes ?: false
    }

    companion object {
        private const val CANCELLED = "Cancelled: the old credential is still in place."

        /** A step in words (the core's own words where it gives them). */
        fun words(step: ReauthStep): String = when (step) {
            is ReauthStep.Checking -> "Checking ${step.host}"
            is ReauthStep.Status -> step.summary
            is ReauthStep.Started -> "Started ${step.program} on the gateway"
            is ReauthStep.WaitingForBrowser -> "Sign in in the browser; it then shows a code"
            is ReauthStep.DeviceCode -> "Enter ${step.code} at ${step.url}"
            is ReauthStep.WaitingForToken -> "Waiting for the new token"
            is ReauthStep.Storing -> "Storing it as ${step.profile} (${step.reason})"
            is ReauthStep.Restart -> step.detail
            is ReauthStep.Rechecking -> "Checking again"
        }
    }
}
