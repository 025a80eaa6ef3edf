package dev.clawauth.widget

import android.app.Activity
import android.content.Context
import android.content.Intent
import android.os.Bundle
import android.widget.Button
import android.widget.TextView
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch
import uniffi.clawauth_ffi.HostKeyState

/**
 * A gateway's host key changed: both fingerprints, what that may mean, and what to do. There is
 * deliberately no "trust anyway": a changed key is only ever accepted after the person checked it
 * on the gateway itself and set the gateway up again. "Check again" reads the key offered now
 * (without logging in), for the case where the change was a mistake that has been undone.
 */
class HostKeyDetailsActivity : Activity() {
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Main.immediate)
    private var checking: Job? = null

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(R.layout.activity_host_key_details)
        Screens.fitInsets(find(R.id.details_root))
        val host = intent.getStringExtra(EXTRA_HOST).orEmpty()
        val stored = intent.getStringExtra(EXTRA_STORED).orEmpty()
        val offered = intent.getStringExtra(EXTRA_OFFERED).orEmpty()
        find<TextView>(R.id.details_warning).text = getString(R.string.details_warning, host)
        find<TextView>(R.id.details_stored).text = stored
        find<TextView>(R.id.details_offered).text = offered
        val status = find<TextView>(R.id.details_status)
        find<Button>(R.id.details_check_again).setOnClickListener { if (host.isNotEmpty()) checkAgain(host, status) }
        find<Button>(R.id.details_close).setOnClickListener { finish() }
    }

    override fun onDestroy() {
        scope.cancel()
        super.onDestroy()
    }

    private fun checkAgain(host: String, status: TextView) {
        if (checking?.isActive == true) return
        status.text = getString(R.string.details_checking)
        Screens.show(status, true)
        checking = scope.launch {
            var trustedAgain = false
            status.text = try {
                val key = App.of(this@HostKeyDetailsActivity).clawauth.offeredHostKey(host)
                when (key.state) {
                    HostKeyState.TRUSTED -> {
                        trustedAgain = true
                        getString(R.string.details_now_trusted)
                    }
                    HostKeyState.CHANGED, HostKeyState.UNKNOWN, HostKeyState.REVOKED ->
                        getString(R.string.details_still_changed, key.fingerprint)
                }
            } catch (e: CancellationException) {
                throw e
            } catch (e: Exception) {
                Errors.describe(this@HostKeyDetailsActivity, e)
            }
            // The widgets of this gateway can check it again.
            if (trustedAgain) Scheduling.refreshNow(this@HostKeyDetailsActivity, listOf(host))
        }
    }

    companion object {
        const val EXTRA_HOST = "dev.clawauth.widget.extra.HOST"
        const val EXTRA_STORED = "dev.clawauth.widget.extra.STORED_FINGERPRINT"
        const val EXTRA_OFFERED = "dev.clawauth.widget.extra.OFFERED_FINGERPRINT"

        fun intent(context: Context, host: String, stored: String, offered: String, newTask: Boolean = true): Intent =
            Intent(context, HostKeyDetailsActivity::class.java)
                .putExtra(EXTRA_HOST, host)
                .putExtra(EXTRA_STORED, stored)
                .putExtra(EXTRA_OFFERED, offered)
                .apply { if (newTask) addFlags(Intent.FLAG_ACTIVITY_NEW_TASK) }
    }
}
