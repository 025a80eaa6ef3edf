package dev.clawauth.widget

import android.app.Activity
import android.app.AlertDialog
import android.content.ActivityNotFoundException
import android.content.ClipData
import android.content.ClipboardManager
import android.content.Context
import android.content.Intent
import android.net.Uri
import android.os.Build
import android.os.Bundle
import android.widget.Button
import android.widget.EditText
import android.widget.TextView
import dev.clawauth.widget.logic.ReauthScreen
import dev.clawauth.widget.logic.ReauthViewModel
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext

/**
 * The guided re-auth of a provider's credential on a gateway. Opens from the widget, a
 * notification's "Re-auth", or a link `clawauth://reauth?host=NAME[&provider=P]` (an ntfy alert);
 * the gateway must be one the app knows, and nothing starts before the person taps Start (a link
 * can come from anywhere). The flow is [ReauthViewModel]'s: this screen shows its state — steps,
 * the sign-in page to open, a code or a hidden key to enter, a yes/no question, the result — and
 * hands back the person's answers. Leaving the screen (back, Close, the activity destroyed) cancels
 * the flow: the SSH connection drops and the old credential stays in place.
 */
class ReauthActivity : Activity() {
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Main.immediate)

    private var host: String? = null
    private var provider: String = DEFAULT_PROVIDER
    private var hostKnown = false
    private var model: ReauthViewModel? = null
    private var flow: Job? = null
    private var watch: Job? = null
    private var screen: ReauthScreen = ReauthScreen.Idle
    private var confirm: AlertDialog? = null
    private var confirmFor: ReauthScreen.Confirm? = null
    private var refreshedAfterDone = false

    private lateinit var heading: TextView
    private lateinit var intro: TextView
    private lateinit var progressText: TextView
    private lateinit var deviceCode: TextView
    private lateinit var url: TextView
    private lateinit var copyCode: Button
    private lateinit var inputPrompt: TextView
    private lateinit var codeField: EditText
    private lateinit var secretField: EditText
    private lateinit var result: TextView
    private lateinit var expiry: TextView
    private lateinit var start: Button
    private lateinit var retry: Button
    private lateinit var cancel: Button
    private lateinit var close: Button
    private lateinit var stepsLabel: TextView
    private lateinit var steps: TextView

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(R.layout.activity_reauth)
        Screens.fitInsets(find(R.id.reauth_root))
        heading = find(R.id.reauth_heading)
        intro = find(R.id.reauth_intro)
        progressText = find(R.id.reauth_progress_text)
        deviceCode = find(R.id.reauth_device_code)
        url = find(R.id.reauth_url)
        copyCode = find(R.id.reauth_copy_code)
        inputPrompt = find(R.id.reauth_input_prompt)
        codeField = find(R.id.reauth_code)
        secretField = find(R.id.reauth_secret)
        result = find(R.id.reauth_result)
        expiry = find(R.id.reauth_expiry)
        start = find(R.id.reauth_start)
        retry = find(R.id.reauth_retry)
        cancel = find(R.id.reauth_cancel)
        close = find(R.id.reauth_close)
        stepsLabel = find(R.id.reauth_steps_label)
        steps = find(R.id.reauth_steps)

        start.setOnClickListener { begin() }
        retry.setOnClickListener { begin() }
        cancel.setOnClickListener { model?.cancel() }
        close.setOnClickListener { finish() }
        find<Button>(R.id.reauth_open_browser).setOnClickListener { openBrowser() }
        copyCode.setOnClickListener { copyDeviceCode() }
        find<Button>(R.id.reauth_submit).setOnClickListener { submit() }

        open(intent)
    }

    override fun onNewIntent(intent: Intent) {
        super.onNewIntent(intent)
        if (flow?.isActive == true) {
            Screens.toast(this, getString(R.string.reauth_busy))
            return
        }
        setIntent(intent)
        open(intent)
    }

    override fun onDestroy() {
        // Back, Close or the system: the flow ends here, the old credential stays.
        stop()
        confirm?.dismiss()
        scope.cancel()
        super.onDestroy()
    }

    /** Reads the gateway and provider from `intent` and checks that the gateway is configured. */
    private fun open(intent: Intent) {
        stop()
        hostKnown = false
        refreshedAfterDone = false
        steps.text = ""
        render(ReauthScreen.Idle)
        val target = target(intent)
        if (target == null) {
            heading.text = getString(R.string.reauth_title)
            message(getString(R.string.reauth_bad_link))
            return
        }
        val (h, p) = target
        host = h
        provider = p
        heading.text = getString(R.string.reauth_heading, p, h)
        scope.launch {
            val known = try {
                withContext(Dispatchers.IO) { App.of(this@ReauthActivity).clawauth.hosts() }.any { it.name == h }
            } catch (e: CancellationException) {
                throw e
            } catch (e: Exception) {
                message(Errors.describe(this@ReauthActivity, e))
                return@launch
            }
            if (!known) {
                message(getString(R.string.reauth_unknown_host, h))
                return@launch
            }
            hostKnown = true
            render(ReauthScreen.Idle)
        }
    }

    /** Starts (or restarts) the flow. */
    private fun begin() {
        val h = host ?: return
        if (!hostKnown) return
        stop()
        refreshedAfterDone = false
        val vm = ReauthViewModel(App.of(this).clawauth, h, provider)
        model = vm
        watch = scope.launch {
            launch { vm.steps.collect { renderSteps(it) } }
            // Its first state is Idle, which this screen already left.
            vm.state.collect { if (it !is ReauthScreen.Idle) render(it) }
        }
        flow = scope.launch {
            try {
                vm.run()
            } catch (e: CancellationException) {
                throw e
            } catch (e: Exception) {
                render(ReauthScreen.Failed(Errors.describe(this@ReauthActivity, e)))
            }
        }
    }

    /** Cancels a running flow (its SSH connection drops) and stops showing it. */
    private fun stop() {
        model?.cancel()
        flow?.cancel()
        watch?.cancel()
        model = null
        flow = null
        watch = null
    }

    private fun render(s: ReauthScreen) {
        screen = s
        val idle = s is ReauthScreen.Idle
        val finished = s is ReauthScreen.Done || s is ReauthScreen.Failed
        Screens.show(intro, idle)
        Screens.show(start, idle && hostKnown)

        Screens.show(find(R.id.reauth_progress_row), s is ReauthScreen.Progress)
        if (s is ReauthScreen.Progress) progressText.text = s.text

        Screens.show(find(R.id.reauth_browser_section), s is ReauthScreen.OpenBrowser)
        if (s is ReauthScreen.OpenBrowser) {
            url.text = s.url
            val code = s.code
            Screens.show(deviceCode, code != null)
            Screens.show(copyCode, code != null)
            if (code != null) deviceCode.text = getString(R.string.reauth_device_code, code)
        }

        Screens.show(find(R.id.reauth_input_section), s is ReauthScreen.AskCode || s is ReauthScreen.AskSecret)
        Screens.show(codeField, s is ReauthScreen.AskCode)
        Screens.show(secretField, s is ReauthScreen.AskSecret)
        when (s) {
            is ReauthScreen.AskCode -> {
                inputPrompt.text = s.prompt
                codeField.requestFocus()
            }
            is ReauthScreen.AskSecret -> {
                inputPrompt.text = s.prompt
                secretField.requestFocus()
            }
            else -> {
                // Nothing typed stays on screen once it is no longer asked for.
                codeField.setText("")
                secretField.setText("")
            }
        }

        if (s is ReauthScreen.Confirm) askConfirm(s) else dismissConfirm()

        Screens.show(result, finished)
        Screens.show(expiry, s is ReauthScreen.Done && s.ok)
        when (s) {
            is ReauthScreen.Done -> {
                result.text = s.headline
                val expires = s.expiresAtMs
                expiry.text = if (expires != null) {
                    getString(R.string.reauth_new_expiry, Texts.dateTime(this, expires))
                } else {
                    getString(R.string.reauth_no_expiry)
                }
                if (s.ok && !refreshedAfterDone) {
                    refreshedAfterDone = true
                    host?.let { Scheduling.refreshNow(this, listOf(it)) }
                }
            }
            is ReauthScreen.Failed -> result.text = s.message
            else -> {}
        }

        Screens.show(cancel, !idle && !finished)
        Screens.show(retry, hostKnown && (s is ReauthScreen.Failed || (s is ReauthScreen.Done && !s.ok)))
        Screens.show(close, idle || finished)
    }

    private fun renderSteps(list: List<String>) {
        Screens.show(stepsLabel, list.isNotEmpty())
        steps.text = list.joinToString("\n") { "• $it" }
    }

    /** A message instead of the flow (a bad link, an unknown gateway). */
    private fun message(text: String) {
        Screens.show(intro, false)
        Screens.show(start, false)
        Screens.show(result, true)
        result.text = text
        Screens.show(close, true)
    }

    private fun openBrowser() {
        val s = screen as? ReauthScreen.OpenBrowser ?: return
        val uri = Uri.parse(s.url)
        // Only a web page: the address comes from the gateway.
        if (uri.scheme?.lowercase() != "https") {
            Screens.toast(this, getString(R.string.reauth_bad_url, s.url))
            return
        }
        try {
            startActivity(Intent(Intent.ACTION_VIEW, uri).addCategory(Intent.CATEGORY_BROWSABLE))
            model?.browserOpened()
        } catch (e: ActivityNotFoundException) {
            Screens.toast(this, getString(R.string.reauth_no_browser))
        }
    }

    private fun copyDeviceCode() {
        val code = (screen as? ReauthScreen.OpenBrowser)?.code ?: return
        getSystemService(ClipboardManager::class.java)
            .setPrimaryClip(ClipData.newPlainText(getString(R.string.reauth_code_clip_label), code))
        if (Build.VERSION.SDK_INT < 33) Screens.toast(this, getString(R.string.setup_copied))
    }

    private fun submit() {
        val vm = model ?: return
        when (screen) {
            is ReauthScreen.AskCode -> {
                val code = codeField.text.toString().trim()
                if (code.isEmpty()) return
                codeField.setText("")
                vm.submitCode(code)
            }
            is ReauthScreen.AskSecret -> {
                val secret = secretField.text.toString()
                if (secret.isEmpty()) return
                secretField.setText("")
                vm.submitSecret(secret)
            }
            else -> {}
        }
    }

    private fun askConfirm(s: ReauthScreen.Confirm) {
        if (confirmFor == s && confirm?.isShowing == true) return
        confirm?.dismiss()
        confirmFor = s
        confirm = AlertDialog.Builder(this)
            .setTitle(R.string.reauth_title)
            .setMessage(s.question)
            .setPositiveButton(R.string.reauth_yes) { _, _ -> answer(true) }
            .setNegativeButton(R.string.reauth_no) { _, _ -> answer(false) }
            .setOnCancelListener { answer(false) }
            .show()
    }

    private fun answer(yes: Boolean) {
        if (confirmFor == null) return
        confirmFor = null
        model?.answer(yes)
    }

    private fun dismissConfirm() {
        confirmFor = null
        confirm?.dismiss()
        confirm = null
    }

    companion object {
        /** A link without `provider` is about Anthropic (as the monitor writes it). */
        const val DEFAULT_PROVIDER = "anthropic"
        private val PROVIDER = Regex("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
        private const val MAX_HOST = 128

        /** `clawauth://reauth?host=NAME[&provider=P]`, the monitor's link (agent=… is not used here). */
        fun link(host: String, provider: String): Uri = Uri.Builder()
            .scheme("clawauth")
            .authority("reauth")
            .appendQueryParameter("host", host)
            .apply { if (provider != DEFAULT_PROVIDER) appendQueryParameter("provider", provider) }
            .build()

        /** Opens the re-auth of `provider` on `host` (from a widget or a notification). */
        fun intent(context: Context, host: String, provider: String): Intent =
            Intent(Intent.ACTION_VIEW, link(host, provider), context, ReauthActivity::class.java)
                .addFlags(Intent.FLAG_ACTIVITY_NEW_TASK)

        /** The gateway and provider a `clawauth://reauth` intent names, or null for a bad link. */
        fun target(intent: Intent): Pair<String, String>? {
            val uri = intent.data ?: return null
            if (uri.scheme != "clawauth" || uri.host != "reauth" || !uri.isHierarchical) return null
            val host = uri.getQueryParameter("host")?.trim().orEmpty()
            val provider = uri.getQueryParameter("provider")?.trim()?.ifEmpty { null } ?: DEFAULT_PROVIDER
            if (host.isEmpty() || host.length > MAX_HOST || !PROVIDER.matches(provider)) return null
            return host to provider
        }
    }
}
