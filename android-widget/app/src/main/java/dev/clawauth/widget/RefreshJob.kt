package dev.clawauth.widget

import android.app.job.JobParameters
import android.app.job.JobService
import java.util.concurrent.ConcurrentHashMap
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch

/**
 * Refreshes the gateways shown on widgets: every 15 minutes (the periodic job), or the gateways a
 * widget could not check in time (the one-off job, [Scheduling.EXTRA_HOSTS]). Each gateway goes
 * through [Refreshing]: the check, its cell on the widgets, a notification when one is due.
 */
class RefreshJob : JobService() {
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.IO)
    private val running = ConcurrentHashMap<Int, Job>()

    override fun onStartJob(params: JobParameters): Boolean {
        val asked = params.extras.getStringArray(Scheduling.EXTRA_HOSTS)?.toList()
        val job = scope.launch(start = CoroutineStart.LAZY) {
            try {
                WidgetStore.prune(this@RefreshJob)
                val shown = WidgetStore.hostsWithWidgets(this@RefreshJob)
                if (WidgetStore.widgetIds(this@RefreshJob).isEmpty()) Scheduling.cancel(this@RefreshJob)
                // Only gateways a widget still shows.
                val hosts = asked?.filter { it in shown } ?: shown
                Refreshing.refreshAll(applicationContext, hosts)
            } finally {
                // After onStopJob (which removed it) the system no longer waits for this job.
                if (running.remove(params.jobId) != null) jobFinished(params, false)
            }
        }
        running[params.jobId] = job
        job.start()
        return true
    }

    override fun onStopJob(params: JobParameters): Boolean {
        // The network went away or the system needs the time back: drop the checks (their SSH
        // connections close), and run again later.
        running.remove(params.jobId)?.cancel()
        return true
    }

    override fun onDestroy() {
        scope.cancel()
        super.onDestroy()
    }
}
