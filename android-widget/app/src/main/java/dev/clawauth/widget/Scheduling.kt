package dev.clawauth.widget

import android.app.job.JobInfo
import android.app.job.JobScheduler
import android.content.ComponentName
import android.content.Context
import android.os.Build
import android.os.PersistableBundle

/**
 * [RefreshJob]'s schedule: every 15 minutes (JobScheduler's shortest period) while a network is
 * up, kept across reboots (setPersisted, hence RECEIVE_BOOT_COMPLETED), while any widget is on a
 * home screen; and a one-off run for gateways a widget could not check within its broadcast.
 */
object Scheduling {
    const val PERIODIC_JOB = 1
    const val NOW_JOB = 2
    /** A one-off run's gateways (a String array); a run without it refreshes every widget. */
    const val EXTRA_HOSTS = "hosts"
    private const val PERIOD_MS = 15 * 60 * 1000L

    private fun scheduler(context: Context): JobScheduler = context.getSystemService(JobScheduler::class.java)

    private fun component(context: Context) = ComponentName(context, RefreshJob::class.java)

    /** Schedules the periodic refresh unless it already is. */
    fun schedule(context: Context) {
        val js = scheduler(context)
        val existing = js.getPendingJob(PERIODIC_JOB)
        if (existing != null && existing.intervalMillis == PERIOD_MS && existing.isPersisted) return
        val job = JobInfo.Builder(PERIODIC_JOB, component(context))
            .setPeriodic(PERIOD_MS)
            .setRequiredNetworkType(JobInfo.NETWORK_TYPE_ANY)
            .setPersisted(true)
            .build()
        js.schedule(job)
    }

    /** Stops refreshing (the last widget was removed). */
    fun cancel(context: Context) {
        val js = scheduler(context)
        js.cancel(PERIODIC_JOB)
        js.cancel(NOW_JOB)
    }

    /** Refreshes `hosts` as soon as a network is up (with any not yet refreshed from before). */
    fun refreshNow(context: Context, hosts: Collection<String>) {
        val js = scheduler(context)
        val waiting = js.getPendingJob(NOW_JOB)?.extras?.getStringArray(EXTRA_HOSTS)?.toList().orEmpty()
        val all = (waiting + hosts).distinct().sorted()
        val extras = PersistableBundle()
        extras.putStringArray(EXTRA_HOSTS, all.toTypedArray())
        val builder = JobInfo.Builder(NOW_JOB, component(context))
            .setRequiredNetworkType(JobInfo.NETWORK_TYPE_ANY)
            .setExtras(extras)
        if (Build.VERSION.SDK_INT >= 31) {
            // Expedited: runs at once, unless the app's quota is spent; then as a regular job.
            builder.setExpedited(true)
            if (js.schedule(builder.build()) == JobScheduler.RESULT_SUCCESS) return
            builder.setExpedited(false)
        }
        js.schedule(builder.build())
    }
}
