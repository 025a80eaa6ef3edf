package dev.clawauth.widget

import android.content.Context
import uniffi.clawauth_ffi.ClawauthException

/**
 * The library's errors in words (the generated exceptions' own `message` is `field=value` text).
 * Values from the gateway are shown as they come: the core has made them visible text.
 */
object Errors {
    fun describe(context: Context, e: ClawauthException): String = when (e) {
        is ClawauthException.HostKeyUnknown ->
            context.getString(R.string.err_host_key_unknown, e.host, e.keyType, e.fingerprint)
        is ClawauthException.HostKeyChanged ->
            context.getString(R.string.err_host_key_changed, e.host, e.stored, e.offered)
        is ClawauthException.HostKeyRevoked ->
            context.getString(R.string.err_host_key_revoked, e.host, e.fingerprint)
        is ClawauthException.NoKey -> context.getString(R.string.err_no_key, e.user, e.host)
        is ClawauthException.KeyNeedsPassphrase -> context.getString(R.string.err_key_needs_passphrase, e.keys)
        is ClawauthException.KeysRefused -> context.getString(R.string.err_keys_refused, e.user, e.host)
        is ClawauthException.CannotResolve -> context.getString(R.string.err_cannot_resolve, e.host, e.reason)
        is ClawauthException.CannotConnect -> context.getString(R.string.err_cannot_connect, e.address, e.reason)
        is ClawauthException.TimedOut ->
            context.getString(R.string.err_timed_out, Texts.duration(context, e.afterMs.toLong()))
        is ClawauthException.GatewayCommandFailed -> context.getString(R.string.err_gateway_command, e.reason)
        is ClawauthException.StateUnreadable -> context.getString(R.string.err_state_unreadable, e.path, e.reason)
        is ClawauthException.NeedsOpenclawCli -> context.getString(R.string.err_needs_cli, e.reason)
        is ClawauthException.InvalidInput -> e.reason
        is ClawauthException.Callback -> context.getString(R.string.err_callback, e.reason)
        is ClawauthException.Cancelled -> context.getString(R.string.err_cancelled)
        is ClawauthException.Other -> e.reason
    }

    /** Anything a call threw: the library's errors in words, anything else by its type. */
    fun describe(context: Context, t: Throwable): String =
        if (t is ClawauthException) describe(context, t)
        else context.getString(R.string.err_unexpected, t.message ?: t.javaClass.simpleName)
}
