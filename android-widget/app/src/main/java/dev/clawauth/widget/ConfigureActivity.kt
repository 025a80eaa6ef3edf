package dev.clawauth.widget

import android.Manifest
import android.app.Activity
import android.app.AlertDialog
import android.appwidget.AppWidgetManager
import android.content.Intent
import android.content.pm.PackageManager
import android.os.Build
import android.os.Bundle
import android.util.TypedValue
import android.widget.Button
import android.widget.LinearLayout
import android.widget.TextView
import dev.clawauth.widget.logic.Presenter
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import uniffi.clawauth_ffi.Host

/**
 * The gateways. Opened by the launcher for a new (or reconfigured) widget — with
 * EXTRA_APPWIDGET_ID: pick the gateway it shows — or from the app icon: change or remove them.
 * "Add gateway" opens [HostSetupActivity]; a gateway added for a widget is picked at once.
 */
class ConfigureActivity : Activity() {
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Main.immediate)
    private var widgetId = AppWidgetManager.INVALID_APPWIDGET_ID
    private var hosts: List<Host> = emptyList()

    private lateinit var list: LinearLayout
    private lateinit var empty: TextView
    private lateinit var error: TextView

    private val forWidget get() = widgetId != AppWidgetManager.INVALID_APPWIDGET_ID

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        widgetId = intent.getIntExtra(AppWidgetManager.EXTRA_APPWIDGET_ID, AppWidgetManager.INVALID_APPWIDGET_ID)
        // Backing out of the launcher's configure step leaves no widget behind.
        if (forWidget) setResult(RESULT_CANCELED, Intent().putExtra(AppWidgetManager.EXTRA_APPWIDGET_ID, widgetId))

        setContentView(R.layout.activity_configure)
        setTitle(if (forWidget) R.string.configure_title else R.string.gateways_title)
        Screens.fitInsets(find(R.id.configure_root))
        list = find(R.id.host_list)
        empty = find(R.id.host_list_empty)
        error = find(R.id.configure_error)
        find<TextView>(R.id.configure_intro).setText(if (forWidget) R.string.configure_intro else R.string.gateways_intro)

        find<Button>(R.id.add_gateway).setOnClickListener {
            startActivityForResult(HostSetupActivity.intent(this, null, newTask = false), REQUEST_ADD)
        }
        askForNotifications()
    }

    override fun onResume() {
        super.onResume()
        load()
    }

    override fun onDestroy() {
        scope.cancel()
        super.onDestroy()
    }

    override fun onActivityResult(requestCode: Int, resultCode: Int, data: Intent?) {
        super.onActivityResult(requestCode, resultCode, data)
        if (requestCode != REQUEST_ADD || resultCode != RESULT_OK) return
        val added = data?.getStringExtra(HostSetupActivity.EXTRA_HOST) ?: return
        if (forWidget) pick(added) else load()
    }

    private fun load() {
        scope.launch {
            try {
                hosts = withContext(Dispatchers.IO) { App.of(this@ConfigureActivity).clawauth.hosts() }
                Screens.show(error, false)
            } catch (e: CancellationException) {
                throw e
            } catch (e: Exception) {
                hosts = emptyList()
                error.text = getString(R.string.error_loading_hosts, Errors.describe(this@ConfigureActivity, e))
                Screens.show(error, true)
            }
            showHosts()
        }
    }

    /** One row per gateway: tap picks it (or opens it); long-press removes it (app icon only). */
    private fun showHosts() {
        list.removeAllViews()
        val ripple = TypedValue()
        theme.resolveAttribute(android.R.attr.selectableItemBackground, ripple, true)
        for (host in hosts) {
            val row = layoutInflater.inflate(android.R.layout.simple_list_item_1, list, false) as TextView
            row.setBackgroundResource(ripple.resourceId)
            row.text = getString(R.string.host_list_item, host.name, host.ssh)
            row.setOnClickListener { pick(host.name) }
            if (!forWidget) {
                row.setOnLongClickListener {
                    confirmRemove(host.name)
                    true
                }
            }
            list.addView(row)
        }
        Screens.show(find(R.id.host_scroll), hosts.isNotEmpty())
        Screens.show(empty, hosts.isEmpty())
    }

    private fun pick(host: String) {
        if (!forWidget) {
            startActivity(HostSetupActivity.intent(this, host, newTask = false))
            return
        }
        WidgetStore.set(this, widgetId, host)
        Scheduling.schedule(this)
        GatewayWidget.show(this, host, Presenter.loading(host))
        // The widget checks it at once (its own refresh, within its broadcast).
        sendBroadcast(
            Intent(this, GatewayWidget::class.java)
                .setAction(GatewayWidget.ACTION_REFRESH)
                .putExtra(AppWidgetManager.EXTRA_APPWIDGET_ID, widgetId),
        )
        setResult(RESULT_OK, Intent().putExtra(AppWidgetManager.EXTRA_APPWIDGET_ID, widgetId))
        finish()
    }

    private fun confirmRemove(host: String) {
        AlertDialog.Builder(this)
            .setTitle(getString(R.string.remove_gateway_title, host))
            .setMessage(R.string.remove_gateway_message)
            .setPositiveButton(R.string.remove) { _, _ -> remove(host) }
            .setNegativeButton(R.string.cancel) { d, _ -> d.dismiss() }
            .show()
    }

    private fun remove(host: String) {
        scope.launch {
            try {
                withContext(Dispatchers.IO) { App.of(this@ConfigureActivity).clawauth.removeHost(host) }
            } catch (e: CancellationException) {
                throw e
            } catch (e: Exception) {
                Screens.toast(this@ConfigureActivity, Errors.describe(this@ConfigureActivity, e))
            }
            WidgetStore.widgetsFor(this@ConfigureActivity, host).forEach { id ->
                WidgetStore.remove(this@ConfigureActivity, id)
                GatewayWidget.showUnconfigured(this@ConfigureActivity, id)
            }
            load()
        }
    }

    /** Android 13+: the alerts need the person's permission; asked here, once the app is in use. */
    private fun askForNotifications() {
        if (Build.VERSION.SDK_INT >= 33 &&
            checkSelfPermission(Manifest.permission.POST_NOTIFICATIONS) != PackageManager.PERMISSION_GRANTED
        ) {
            requestPermissions(arrayOf(Manifest.permission.POST_NOTIFICATIONS), REQUEST_NOTIFICATIONS)
        }
    }

    private companion object {
        const val REQUEST_ADD = 1
        const val REQUEST_NOTIFICATIONS = 2
    }
}
