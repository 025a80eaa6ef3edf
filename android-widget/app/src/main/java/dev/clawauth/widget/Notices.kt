package dev.clawauth.widget

import android.Manifest
import android.app.Notification
import android.app.NotificationChannel
import android.app.NotificationManager
import android.app.PendingIntent
import android.content.Context
import android.content.Intent
import android.content.pm.PackageManager
import android.graphics.drawable.Icon
import android.os.Build
import dev.clawauth.widget.logic.NoticeModel
import dev.clawauth.widget.logic.Tap
import dev.clawauth.widget.logic.Tone

/** The "gateway-status" notifications: what got worse or was fixed, with a Re-auth action. */
object Notices {
    const val CHANNEL = "gateway-status"
    private const val NOTICE_ID = 1

    fun createChannel(context: Context) {
        val channel = NotificationChannel(
            CHANNEL,
            context.getString(R.string.channel_name),
            NotificationManager.IMPORTANCE_DEFAULT,
        )
        channel.setDescription(context.getString(R.string.channel_description))
        context.getSystemService(NotificationManager::class.java).createNotificationChannel(channel)
    }

    /** Whether a notification would be shown (Android 13+ asks the person first). */
    fun allowed(context: Context): Boolean {
        if (Build.VERSION.SDK_INT >= 33 &&
            context.checkSelfPermission(Manifest.permission.POST_NOTIFICATIONS) != PackageManager.PERMISSION_GRANTED
        ) {
            return false
        }
        return context.getSystemService(NotificationManager::class.java).areNotificationsEnabled()
    }

    fun post(context: Context, notice: NoticeModel) {
        if (!allowed(context)) return
        val builder = Notification.Builder(context, CHANNEL)
            .setSmallIcon(R.drawable.ic_stat_gateway)
            .setContentTitle(notice.title)
            .setContentText(notice.body)
            .setStyle(Notification.BigTextStyle().bigText(notice.body))
            .setColor(context.getColor(color(notice.tone)))
            .setCategory(Notification.CATEGORY_STATUS)
            .setShowWhen(true)
            .setAutoCancel(true)
        val reauth = notice.reauth?.let { reauthIntent(context, it) }
        (reauth ?: openApp(context))?.let { builder.setContentIntent(it) }
        reauth?.let {
            val icon = Icon.createWithResource(context, R.drawable.ic_stat_gateway)
            builder.addAction(Notification.Action.Builder(icon, context.getString(R.string.action_reauth), it).build())
        }
        // One notification per credential (the notice's key): a later notice replaces it.
        context.getSystemService(NotificationManager::class.java).notify(notice.key, NOTICE_ID, builder.build())
    }

    private fun reauthIntent(context: Context, tap: Tap.Reauth): PendingIntent? = PendingIntent.getActivity(
        context,
        ("reauth:" + tap.host + "/" + tap.provider).hashCode(),
        ReauthActivity.intent(context, tap.host, tap.provider),
        GatewayWidget.PI_FLAGS,
    )

    private fun openApp(context: Context): PendingIntent? = PendingIntent.getActivity(
        context,
        0,
        Intent(context, ConfigureActivity::class.java).addFlags(Intent.FLAG_ACTIVITY_NEW_TASK),
        GatewayWidget.PI_FLAGS,
    )

    fun color(tone: Tone): Int = when (tone) {
        Tone.LOADING -> R.color.tone_loading
        Tone.OK -> R.color.tone_ok
        Tone.EXPIRING -> R.color.tone_expiring
        Tone.LAPSED -> R.color.tone_lapsed
        Tone.UNREACHABLE -> R.color.tone_unreachable
        Tone.BLOCKED -> R.color.tone_blocked
    }
}
