package dev.clawauth.widget

import android.content.Context
import android.util.Log
import dev.clawauth.widget.logic.CellModel
import dev.clawauth.widget.logic.NoticeModel
import dev.clawauth.widget.logic.Presenter
import java.util.concurrent.ConcurrentHashMap
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.launch
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock
import uniffi.clawauth_ffi.ClawauthException

/**
 * One refresh of a gateway, wherever it was asked for (a widget tap, an update, [RefreshJob]):
 * the check through the logic's Refresher, the cell on every widget of the gateway, and the
 * notification when the Refresher says one is due. Refreshes of the same gateway in this process
 * run one after the other.
 */
object Refreshing {
    private val locks = ConcurrentHashMap<String, Mutex>()

    suspend fun refreshHost(context: Context, host: String) {
        val app = App.of(context)
        locks.computeIfAbsent(host) { Mutex() }.withLock {
            val (cell, notice) = check(app, host)
            GatewayWidget.show(app, host, cell)
            notice?.let { Notices.post(app, it) }
        }
    }

    /** Every gateway in `hosts`, side by side. */
    suspend fun refreshAll(context: Context, hosts: Collection<String>) = coroutineScope {
        hosts.distinct().forEach { host -> launch { refreshHost(context, host) } }
    }

    private suspend fun check(app: App, host: String): Pair<CellModel, NoticeModel?> = try {
        app.refresher.refresh(host)
    } catch (e: CancellationException) {
        throw e
    } catch (e: ClawauthException) {
        Presenter.failed(host, e, lastGood(app, host)) to null
    } catch (e: Exception) {
        Log.e(App.TAG, "refreshing a gateway failed", e)
        Presenter.failed(host, ClawauthException.Other(Errors.describe(app, e)), lastGood(app, host)) to null
    } catch (e: LinkageError) {
        // The Rust library did not load (a broken install): say so on the widget, do not crash.
        Log.e(App.TAG, "the clawauth library did not load", e)
        Presenter.failed(host, ClawauthException.Other(Errors.describe(app, e)), null) to null
    }

    private fun lastGood(app: App, host: String) = try {
        app.clawauth.lastGood(host)
    } catch (e: Exception) {
        null
    } catch (e: LinkageError) {
        null
    }
}
