package dev.clawauth.widget

import android.app.PendingIntent
import android.appwidget.AppWidgetManager
import android.appwidget.AppWidgetProvider
import android.content.Context
import android.content.Intent
import android.view.View
import android.widget.RemoteViews
import dev.clawauth.widget.logic.CellModel
import dev.clawauth.widget.logic.Presenter
import dev.clawauth.widget.logic.Tap
import dev.clawauth.widget.logic.Tone
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.launch
import kotlinx.coroutines.withTimeoutOrNull

/**
 * The home-screen widget: one gateway per widget (chosen in [ConfigureActivity]). An update or a
 * tap on a fine cell shows "Checking…" and checks at once, within the broadcast's time
 * ([goAsync]); a check that takes longer is handed to [RefreshJob], which also refreshes every
 * widget every 15 minutes. A cell that needs the person (re-auth, a changed host key, setup)
 * opens the screen for it when tapped.
 */
class GatewayWidget : AppWidgetProvider() {
    override fun onUpdate(context: Context, appWidgetManager: AppWidgetManager, appWidgetIds: IntArray) {
        Scheduling.schedule(context)
        refresh(context, appWidgetIds.toList())
    }

    override fun onReceive(context: Context, intent: Intent) {
        if (intent.action == ACTION_REFRESH) {
            val id = intent.getIntExtra(AppWidgetManager.EXTRA_APPWIDGET_ID, AppWidgetManager.INVALID_APPWIDGET_ID)
            if (id != AppWidgetManager.INVALID_APPWIDGET_ID) refresh(context, listOf(id))
            return
        }
        super.onReceive(context, intent)
    }

    override fun onEnabled(context: Context) {
        Scheduling.schedule(context)
    }

    override fun onDeleted(context: Context, appWidgetIds: IntArray) {
        appWidgetIds.forEach { WidgetStore.remove(context, it) }
    }

    override fun onDisabled(context: Context) {
        Scheduling.cancel(context)
    }

    override fun onRestored(context: Context, oldWidgetIds: IntArray, newWidgetIds: IntArray) {
        oldWidgetIds.zip(newWidgetIds).forEach { (old, new) ->
            WidgetStore.hostOf(context, old)?.let { WidgetStore.set(context, new, it) }
            WidgetStore.remove(context, old)
        }
    }

    /** Shows "Checking…" on `ids`, checks their gateways, and shows the result. */
    private fun refresh(context: Context, ids: List<Int>) {
        val app = App.of(context)
        val pending = goAsync()
        app.scope.launch(Dispatchers.IO) {
            try {
                refreshNow(app, ids)
            } finally {
                pending.finish()
            }
        }
    }

    companion object {
        /** The cell's own tap: check again. */
        const val ACTION_REFRESH = "dev.clawauth.widget.action.REFRESH"

        /**
         * How long a check may take inside the broadcast; a slower gateway is checked by
         * [RefreshJob] instead (a broadcast receiver has about 10 s before the system ANRs it).
         */
        private const val FAST_CHECK_MS = 8_000L

        suspend fun refreshNow(context: Context, ids: List<Int>) {
            val byHost = ids.groupBy { WidgetStore.hostOf(context, it) }
            byHost[null]?.forEach { showUnconfigured(context, it) }
            val hosts = byHost.keys.filterNotNull()
            hosts.forEach { host -> show(context, host, Presenter.loading(host)) }
            val slow = coroutineScope {
                hosts.map { host ->
                    async {
                        val done = withTimeoutOrNull(FAST_CHECK_MS) { Refreshing.refreshHost(context, host) }
                        if (done == null) host else null
                    }
                }.awaitAll().filterNotNull()
            }
            if (slow.isNotEmpty()) Scheduling.refreshNow(context, slow)
        }

        /** Shows `cell` on every widget of its gateway. */
        fun show(context: Context, host: String, cell: CellModel) {
            val manager = AppWidgetManager.getInstance(context)
            WidgetStore.widgetsFor(context, host).forEach { id ->
                manager.updateAppWidget(id, views(context, id, cell))
            }
        }

        /** A widget whose gateway is not chosen (or was removed): a tap opens the choice. */
        fun showUnconfigured(context: Context, id: Int) {
            val v = RemoteViews(context.packageName, R.layout.widget_gateway)
            val label = context.getString(R.string.widget_label)
            val status = context.getString(R.string.status_not_configured)
            val detail = context.getString(R.string.age_tap_to_choose)
            v.setTextViewText(R.id.widget_host, label)
            v.setTextViewText(R.id.widget_status, status)
            v.setTextViewText(R.id.widget_age, detail)
            v.setViewVisibility(R.id.widget_age, View.VISIBLE)
            v.setImageViewResource(R.id.widget_dot, R.drawable.dot_unreachable)
            v.setContentDescription(R.id.widget_dot, status)
            v.setContentDescription(R.id.widget_host, label)
            v.setContentDescription(R.id.widget_status, status)
            v.setContentDescription(R.id.widget_age, detail)
            v.setContentDescription(
                android.R.id.background,
                context.getString(R.string.cd_widget, label, status, detail, context.getString(R.string.cd_tap_configure)),
            )
            val configure = Intent(context, ConfigureActivity::class.java)
                .putExtra(AppWidgetManager.EXTRA_APPWIDGET_ID, id)
                .addFlags(Intent.FLAG_ACTIVITY_NEW_TASK)
            PendingIntent.getActivity(context, id, configure, PI_FLAGS)?.let {
                v.setOnClickPendingIntent(android.R.id.background, it)
            }
            AppWidgetManager.getInstance(context).updateAppWidget(id, v)
        }

        private fun views(context: Context, id: Int, cell: CellModel): RemoteViews {
            val v = RemoteViews(context.packageName, R.layout.widget_gateway)
            val status = Texts.status(context, cell.line)
            val detail = Texts.detail(context, cell)
            v.setTextViewText(R.id.widget_host, cell.host)
            v.setTextViewText(R.id.widget_status, status)
            v.setTextViewText(R.id.widget_age, detail)
            v.setViewVisibility(R.id.widget_age, if (detail.isEmpty()) View.GONE else View.VISIBLE)
            v.setImageViewResource(R.id.widget_dot, dot(cell.tone))
            v.setContentDescription(R.id.widget_dot, Texts.tone(context, cell.tone))
            v.setContentDescription(R.id.widget_host, context.getString(R.string.cd_host, cell.host))
            v.setContentDescription(R.id.widget_status, status)
            v.setContentDescription(R.id.widget_age, detail)
            v.setContentDescription(android.R.id.background, Texts.description(context, cell))
            tapIntent(context, id, cell.tap)?.let { v.setOnClickPendingIntent(android.R.id.background, it) }
            return v
        }

        private fun dot(tone: Tone): Int = when (tone) {
            Tone.LOADING -> R.drawable.dot_loading
            Tone.OK -> R.drawable.dot_ok
            Tone.EXPIRING -> R.drawable.dot_expiring
            Tone.LAPSED -> R.drawable.dot_lapsed
            Tone.UNREACHABLE -> R.drawable.dot_unreachable
            Tone.BLOCKED -> R.drawable.dot_blocked
        }

        /** What a tap on widget `id` does; one PendingIntent per widget (request code = id). */
        private fun tapIntent(context: Context, id: Int, tap: Tap): PendingIntent? = when (tap) {
            is Tap.Refresh -> {
                val i = Intent(context, GatewayWidget::class.java)
                    .setAction(ACTION_REFRESH)
                    .putExtra(AppWidgetManager.EXTRA_APPWIDGET_ID, id)
                PendingIntent.getBroadcast(context, id, i, PI_FLAGS)
            }
            is Tap.Reauth ->
                PendingIntent.getActivity(context, id, ReauthActivity.intent(context, tap.host, tap.provider), PI_FLAGS)
            is Tap.HostKeyDetails -> PendingIntent.getActivity(
                context, id, HostKeyDetailsActivity.intent(context, tap.host, tap.stored, tap.offered), PI_FLAGS,
            )
            is Tap.Setup -> PendingIntent.getActivity(context, id, HostSetupActivity.intent(context, tap.host), PI_FLAGS)
        }

        const val PI_FLAGS = PendingIntent.FLAG_UPDATE_CURRENT or PendingIntent.FLAG_IMMUTABLE
    }
}
