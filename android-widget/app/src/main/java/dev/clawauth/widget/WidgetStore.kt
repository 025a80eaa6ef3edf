package dev.clawauth.widget

import android.appwidget.AppWidgetManager
import android.content.ComponentName
import android.content.Context
import android.content.SharedPreferences

/** Which gateway each widget shows (chosen in [ConfigureActivity]). */
object WidgetStore {
    private const val PREFS = "widgets"

    private fun prefs(context: Context): SharedPreferences =
        context.applicationContext.getSharedPreferences(PREFS, Context.MODE_PRIVATE)

    private fun entry(widgetId: Int) = "host.$widgetId"

    fun hostOf(context: Context, widgetId: Int): String? =
        prefs(context).getString(entry(widgetId), "").orEmpty().ifEmpty { null }

    fun set(context: Context, widgetId: Int, host: String) {
        prefs(context).edit().putString(entry(widgetId), host).apply()
    }

    fun remove(context: Context, widgetId: Int) {
        prefs(context).edit().remove(entry(widgetId)).apply()
    }

    /** The ids of this app's widgets on any home screen. */
    fun widgetIds(context: Context): IntArray =
        AppWidgetManager.getInstance(context)
            .getAppWidgetIds(ComponentName(context, GatewayWidget::class.java))

    /** Each placed widget's gateway (widgets not set up yet are left out). */
    fun assignments(context: Context): Map<Int, String> =
        widgetIds(context).toList().mapNotNull { id -> hostOf(context, id)?.let { id to it } }.toMap()

    /** The widgets that show `host`. */
    fun widgetsFor(context: Context, host: String): List<Int> =
        assignments(context).filterValues { it == host }.keys.toList()

    /** The gateways some widget shows, each once. */
    fun hostsWithWidgets(context: Context): List<String> = assignments(context).values.distinct().sorted()

    /** Forgets entries of widgets that are gone (a launcher that missed onDeleted). */
    fun prune(context: Context) {
        val live = widgetIds(context).toSet()
        val p = prefs(context)
        val stale = p.all.keys.filter { k ->
            k.startsWith("host.") && k.removePrefix("host.").toIntOrNull()?.let { it !in live } ?: true
        }
        if (stale.isNotEmpty()) {
            val e = p.edit()
            stale.forEach { e.remove(it) }
            e.apply()
        }
    }
}
