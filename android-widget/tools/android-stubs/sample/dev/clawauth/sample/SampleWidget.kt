// A small widget app that uses the Android classes the real app does, for developing and testing
// gen_stubs.py and check-app.sh before (and besides) the app's own sources:
//   android-widget/check-app.sh android-widget/tools/android-stubs/sample
// It is compiled against the generated stubs only, never run.
package dev.clawauth.sample

import android.app.Activity
import android.app.Notification
import android.app.NotificationChannel
import android.app.NotificationManager
import android.app.PendingIntent
import android.app.job.JobInfo
import android.app.job.JobParameters
import android.app.job.JobScheduler
import android.app.job.JobService
import android.appwidget.AppWidgetManager
import android.appwidget.AppWidgetProvider
import android.content.ComponentName
import android.content.Context
import android.content.Intent
import android.content.SharedPreferences
import android.net.Uri
import android.os.Build
import android.os.Bundle
import android.os.SystemClock
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import android.util.Log
import android.widget.RemoteViews
import android.widget.TextView
import java.security.KeyPairGenerator
import java.security.KeyStore
import java.security.Signature

private const val TAG = "SampleWidget"
private const val PREFS = "sample"
private const val JOB_ID = 42
private const val CHANNEL = "reauth"
private const val ACTION_REFRESH = "dev.clawauth.sample.REFRESH"

/** The widget: one line of text per gateway, a tap refreshes. */
class SampleWidget : AppWidgetProvider() {
    override fun onUpdate(context: Context, appWidgetManager: AppWidgetManager, appWidgetIds: IntArray) {
        for (id in appWidgetIds) {
            appWidgetManager.updateAppWidget(id, views(context, id))
        }
        schedule(context)
    }

    override fun onReceive(context: Context, intent: Intent) {
        super.onReceive(context, intent)
        if (intent.action == ACTION_REFRESH) {
            val id = intent.getIntExtra(AppWidgetManager.EXTRA_APPWIDGET_ID, AppWidgetManager.INVALID_APPWIDGET_ID)
            val at: Long = intent.getLongExtra("at", 0L)
            Log.d(TAG, "refresh $id requested at $at")
            prefs(context).edit().putLong("requested", SystemClock.elapsedRealtime()).apply()
        }
    }

    override fun onDeleted(context: Context, appWidgetIds: IntArray) {
        val editor = prefs(context).edit()
        appWidgetIds.forEach { editor.remove("host.$it") }
        editor.apply()
    }

    private fun views(context: Context, id: Int): RemoteViews {
        val views = RemoteViews(context.packageName, android.R.layout.simple_list_item_1)
        val host = prefs(context).getString("host.$id", null) ?: "no gateway"
        views.setTextViewText(android.R.id.text1, host)
        val tap = Intent(context, SampleWidget::class.java)
            .setAction(ACTION_REFRESH)
            .putExtra(AppWidgetManager.EXTRA_APPWIDGET_ID, id)
            .putExtra("at", System.currentTimeMillis())
        val flags = PendingIntent.FLAG_UPDATE_CURRENT or PendingIntent.FLAG_IMMUTABLE
        views.setOnClickPendingIntent(android.R.id.text1, PendingIntent.getBroadcast(context, id, tap, flags))
        return views
    }
}

/** The periodic refresh. */
class SampleJob : JobService() {
    override fun onStartJob(params: JobParameters): Boolean {
        val extras = params.extras
        val host = extras.getString("host") ?: return false
        val last: Long = prefs(this).getLong("last.$host", 0L)
        if (SystemClock.elapsedRealtime() - last > 15 * 60 * 1000L) {
            notifyReauth(this, host)
        }
        jobFinished(params, false)
        return false
    }

    override fun onStopJob(params: JobParameters): Boolean = true
}

/** Where a person signs in again. */
class ReauthActivity : Activity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val text = TextView(this)
        val host = intent.getStringExtra("host") ?: ""
        text.text = getString(android.R.string.ok) + " " + host
        setContentView(text)
        val data: Uri? = intent.data
        if (data != null && data.scheme == "https") {
            startActivity(Intent(Intent.ACTION_VIEW, Uri.parse(data.toString())))
        }
        val listener = SharedPreferences.OnSharedPreferenceChangeListener { _, key -> Log.i(TAG, "changed $key") }
        prefs(this).registerOnSharedPreferenceChangeListener(listener)
    }

    override fun onSaveInstanceState(outState: Bundle) {
        super.onSaveInstanceState(outState)
        outState.putLong("shown", SystemClock.uptimeMillis())
    }
}

fun prefs(context: Context): SharedPreferences = context.getSharedPreferences(PREFS, Context.MODE_PRIVATE)

fun schedule(context: Context) {
    val scheduler = context.getSystemService(JobScheduler::class.java)
    val extras = android.os.PersistableBundle()
    extras.putString("host", "gateway")
    val job = JobInfo.Builder(JOB_ID, ComponentName(context, SampleJob::class.java))
        .setPeriodic(JobInfo.getMinPeriodMillis())
        .setRequiredNetworkType(JobInfo.NETWORK_TYPE_ANY)
        .setPersisted(true)
        .setExtras(extras)
        .build()
    if (scheduler.schedule(job) != JobScheduler.RESULT_SUCCESS) Log.w(TAG, "not scheduled")
}

fun notifyReauth(context: Context, host: String) {
    val manager = context.getSystemService(NotificationManager::class.java)
    if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.O) {
        manager.createNotificationChannel(NotificationChannel(CHANNEL, "Sign in again", NotificationManager.IMPORTANCE_DEFAULT))
    }
    val open = PendingIntent.getActivity(
        context, 0, Intent(context, ReauthActivity::class.java).putExtra("host", host), PendingIntent.FLAG_IMMUTABLE,
    )
    val notification: Notification = Notification.Builder(context, CHANNEL)
        .setSmallIcon(android.R.drawable.stat_notify_error)
        .setContentTitle(host)
        .setContentText("The gateway needs a new sign-in")
        .setContentIntent(open)
        .setAutoCancel(true)
        .setWhen(System.currentTimeMillis())
        .build()
    val shownAt: Long = notification.`when`
    Log.d(TAG, "notified at $shownAt")
    manager.notify(host.hashCode(), notification)
}

/** The device key: an EC key in the Android Keystore that signs SSH challenges. */
fun signWithDeviceKey(alias: String, data: ByteArray): ByteArray {
    val keyStore = KeyStore.getInstance("AndroidKeyStore").apply { load(null) }
    if (!keyStore.containsAlias(alias)) {
        val generator = KeyPairGenerator.getInstance(KeyProperties.KEY_ALGORITHM_EC, "AndroidKeyStore")
        generator.initialize(
            KeyGenParameterSpec.Builder(alias, KeyProperties.PURPOSE_SIGN)
                .setDigests(KeyProperties.DIGEST_SHA256)
                .setUserAuthenticationRequired(false)
                .build(),
        )
        generator.generateKeyPair()
    }
    val entry = keyStore.getEntry(alias, null) as KeyStore.PrivateKeyEntry
    return Signature.getInstance("SHA256withECDSA").run {
        initSign(entry.privateKey)
        update(data)
        sign()
    }
}
