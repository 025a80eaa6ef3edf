package dev.clawauth.widget

import android.app.Activity
import android.content.ClipData
import android.content.ClipboardManager
import android.content.Context
import android.content.Intent
import android.os.Build
import android.os.Bundle
import android.widget.Button
import android.widget.EditText
import android.widget.TextView
import dev.clawauth.widget.logic.Presenter
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import uniffi.clawauth_ffi.HostKeyState
import uniffi.clawauth_ffi.OfferedHostKey
import uniffi.clawauth_ffi.authorizedKey

/**
 * Sets up a gateway, in order: its name and SSH login; this phone's key as an authorized_keys
 * line to share or copy; the gateway's host key, trusted only after the person compared its
 * fingerprint with what `ssh-keygen -lf` prints on the gateway ("They match"); a test check.
 * With [EXTRA_HOST] it opens an existing gateway (the widget's "needs setup" tap).
 */
class HostSetupActivity : Activity() {
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Main.immediate)
    private val app get() = App.of(this)

    /** The gateway as saved (null until Save). */
    private var saved: String? = null
    /** The host key shown for comparison (null when none is waiting for the person). */
    private var offered: OfferedHostKey? = null
    private var keyLine: String? = null
    private var busy: Job? = null

    private lateinit var name: EditText
    private lateinit var address: EditText
    private lateinit var port: EditText
    private lateinit var status: TextView
    private lateinit var offeredView: TextView
    private lateinit var compareHint: TextView
    private lateinit var hostKeyStatus: TextView
    private lateinit var testResult: TextView

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(R.layout.activity_host_setup)
        Screens.fitInsets(find(R.id.setup_root))
        name = find(R.id.setup_name)
        address = find(R.id.setup_address)
        port = find(R.id.setup_port)
        status = find(R.id.setup_status)
        offeredView = find(R.id.setup_offered)
        compareHint = find(R.id.setup_compare_hint)
        hostKeyStatus = find(R.id.setup_host_key_status)
        testResult = find(R.id.setup_test_result)

        find<Button>(R.id.setup_save).setOnClickListener { save() }
        find<Button>(R.id.setup_share).setOnClickListener { share() }
        find<Button>(R.id.setup_copy).setOnClickListener { copy() }
        find<Button>(R.id.setup_read_host_key).setOnClickListener { readHostKey() }
        find<Button>(R.id.setup_match).setOnClickListener { trust() }
        find<Button>(R.id.setup_differ).setOnClickListener { differ() }
        find<Button>(R.id.setup_test).setOnClickListener { test() }
        find<Button>(R.id.setup_done).setOnClickListener { done() }

        intent.getStringExtra(EXTRA_HOST)?.let { openExisting(it) }
    }

    override fun onDestroy() {
        scope.cancel()
        super.onDestroy()
    }

    /** An existing gateway: its fields filled in, its name fixed, the later steps open. */
    private fun openExisting(host: String) {
        scope.launch {
            val entry = try {
                withContext(Dispatchers.IO) { app.clawauth.hosts() }.firstOrNull { it.name == host }
            } catch (e: CancellationException) {
                throw e
            } catch (e: Exception) {
                say(status, Errors.describe(this@HostSetupActivity, e))
                null
            } ?: return@launch
            name.setText(entry.name)
            name.isEnabled = false
            address.setText(entry.ssh)
            saved = entry.name
            showSteps()
        }
    }

    private fun save() {
        val n = name.text.toString().trim()
        val a = address.text.toString().trim()
        val p = port.text.toString().trim()
        val target = when {
            n.isEmpty() -> return say(status, getString(R.string.setup_error_name))
            a.isEmpty() -> return say(status, getString(R.string.setup_error_address))
            p.isNotEmpty() && (p.toIntOrNull() ?: 0) !in 1..65535 -> return say(status, getString(R.string.setup_error_port))
            else -> sshTarget(a, p)
        }
        step {
            withContext(Dispatchers.IO) { app.clawauth.addHost(n, target, null) }
            saved = n
            name.isEnabled = false
            say(status, getString(R.string.setup_saved, n))
            showSteps()
        }
    }

    /** Sections 2-4, and this phone's authorized_keys line. */
    private fun showSteps() {
        Screens.show(find(R.id.setup_key_section), true)
        Screens.show(find(R.id.setup_host_key_section), true)
        Screens.show(find(R.id.setup_test_section), true)
        val lineView = find<TextView>(R.id.setup_key_line)
        val fingerprintView = find<TextView>(R.id.setup_key_fingerprint)
        scope.launch {
            try {
                val key = withContext(Dispatchers.IO) { app.signer?.let { authorizedKey(it, KEY_COMMENT) } }
                if (key == null) {
                    keyLine = null
                    lineView.text = getString(R.string.setup_key_none)
                    return@launch
                }
                keyLine = key.line
                lineView.text = key.line
                fingerprintView.text = getString(R.string.setup_key_fingerprint, key.fingerprint)
            } catch (e: CancellationException) {
                throw e
            } catch (e: Exception) {
                keyLine = null
                lineView.text = getString(R.string.setup_key_unavailable, Errors.describe(this@HostSetupActivity, e))
            }
        }
    }

    private fun share() {
        val line = keyLine ?: return
        val send = Intent(Intent.ACTION_SEND)
            .setType("text/plain")
            .putExtra(Intent.EXTRA_TEXT, line)
        startActivity(Intent.createChooser(send, getString(R.string.setup_share_title)))
    }

    private fun copy() {
        val line = keyLine ?: return
        val clipboard = getSystemService(ClipboardManager::class.java)
        clipboard.setPrimaryClip(ClipData.newPlainText(getString(R.string.setup_clip_label), line))
        // Android 13+ confirms a copy itself.
        if (Build.VERSION.SDK_INT < 33) Screens.toast(this, getString(R.string.setup_copied))
    }

    private fun readHostKey() {
        val host = saved ?: return say(hostKeyStatus, getString(R.string.setup_save_first))
        offered = null
        showCompare(false)
        say(hostKeyStatus, getString(R.string.setup_reading_host_key))
        step(hostKeyStatus) {
            val key = app.clawauth.offeredHostKey(host)
            offeredView.text = getString(R.string.setup_offered, key.keyType, key.fingerprint)
            Screens.show(offeredView, true)
            when (key.state) {
                HostKeyState.UNKNOWN -> {
                    offered = key
                    compareHint.text = getString(R.string.setup_compare_hint, hostKeyFile(key.keyType))
                    showCompare(true)
                    Screens.show(hostKeyStatus, false)
                }
                HostKeyState.TRUSTED -> say(hostKeyStatus, getString(R.string.setup_already_trusted))
                HostKeyState.CHANGED -> {
                    say(hostKeyStatus, getString(R.string.setup_changed))
                    startActivity(
                        HostKeyDetailsActivity.intent(
                            this@HostSetupActivity, host, key.storedFingerprint ?: "", key.fingerprint, newTask = false,
                        ),
                    )
                }
                HostKeyState.REVOKED -> say(hostKeyStatus, getString(R.string.setup_revoked))
            }
        }
    }

    /** "They match": trust exactly the fingerprint the person compared, nothing else. */
    private fun trust() {
        val host = saved ?: return
        val key = offered ?: return
        showCompare(false)
        say(hostKeyStatus, getString(R.string.setup_trusting))
        step(hostKeyStatus) {
            app.clawauth.trustHost(host, key.fingerprint)
            offered = null
            say(hostKeyStatus, getString(R.string.setup_trusted, host))
        }
    }

    private fun differ() {
        offered = null
        showCompare(false)
        say(hostKeyStatus, getString(R.string.setup_differ_message))
    }

    private fun test() {
        val host = saved ?: return say(testResult, getString(R.string.setup_save_first))
        say(testResult, getString(R.string.setup_testing))
        step(testResult) {
            val result = app.clawauth.check(host)
            val glance = result.glance
            say(testResult, if (glance.detail.isBlank()) glance.headline else glance.headline + "\n\n" + glance.detail)
            // The widgets of this gateway show it too.
            GatewayWidget.show(this@HostSetupActivity, host, Presenter.present(host, result))
        }
    }

    private fun done() {
        val host = saved
        if (host == null) {
            setResult(RESULT_CANCELED)
        } else {
            setResult(RESULT_OK, Intent().putExtra(EXTRA_HOST, host))
            // Widgets that already show this gateway (a "needs setup" tap) check it again.
            Scheduling.refreshNow(this, listOf(host))
        }
        finish()
    }

    private fun showCompare(visible: Boolean) {
        Screens.show(compareHint, visible)
        Screens.show(find(R.id.setup_compare_buttons), visible)
    }

    /** Runs `block` (one step at a time); an error is shown in `where` (the save status by default). */
    private fun step(where: TextView? = null, block: suspend () -> Unit) {
        if (busy?.isActive == true) return
        busy = scope.launch {
            try {
                block()
            } catch (e: CancellationException) {
                throw e
            } catch (e: Exception) {
                say(where ?: status, Errors.describe(this@HostSetupActivity, e))
            }
        }
    }

    private fun say(view: TextView, text: String) {
        view.text = text
        Screens.show(view, true)
    }

    companion object {
        const val EXTRA_HOST = "dev.clawauth.widget.extra.HOST"
        /** The comment of the authorized_keys line. */
        const val KEY_COMMENT = "clawauth-widget"

        /** Opens the setup, of gateway `host` if given; `newTask` from a widget or notification. */
        fun intent(context: Context, host: String?, newTask: Boolean = true): Intent =
            Intent(context, HostSetupActivity::class.java).apply {
                host?.let { putExtra(EXTRA_HOST, it) }
                if (newTask) addFlags(Intent.FLAG_ACTIVITY_NEW_TASK)
            }

        /**
         * `user@host` and a port as clawauth's SSH target: `user@host:port`, with a bare IPv6
         * address put in brackets; port 22 (or none) is left out.
         */
        fun sshTarget(address: String, port: String): String {
            if (port.isEmpty() || port == "22") return address
            val user = address.substringBefore('@', "")
            val host = address.substringAfter('@')
            val bracketed = if (host.count { it == ':' } > 1 && !host.startsWith("[")) "[$host]" else host
            return (if (user.isEmpty()) "" else "$user@") + "$bracketed:$port"
        }

        /** The file on the gateway whose fingerprint `ssh-keygen -lf` prints, for a key type. */
        fun hostKeyFile(keyType: String): String = when {
            keyType.contains("ed25519") -> "/etc/ssh/ssh_host_ed25519_key.pub"
            keyType.contains("ecdsa") -> "/etc/ssh/ssh_host_ecdsa_key.pub"
            keyType.contains("rsa") -> "/etc/ssh/ssh_host_rsa_key.pub"
            else -> "/etc/ssh/ssh_host_ed25519_key.pub"
        }
    }
}
