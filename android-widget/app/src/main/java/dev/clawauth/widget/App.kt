package dev.clawauth.widget

import android.app.Application
import android.content.Context
import android.util.Log
import dev.clawauth.widget.logic.JcaSshSigner
import dev.clawauth.widget.logic.Refresher
import java.io.File
import java.net.InetAddress
import java.net.UnknownHostException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.withContext
import uniffi.clawauth_ffi.AppDirs
import uniffi.clawauth_ffi.Clawauth
import uniffi.clawauth_ffi.ClawauthException
import uniffi.clawauth_ffi.NameResolver

/**
 * The process: one [Clawauth] over the app's directories, with what the platform owns — the
 * Keystore-encrypted [KeystoreSecretStore], the Keystore SSH key ([KeystoreSigner]) and the
 * platform's name resolution. No passphrase dialog: the app's own key has none.
 *
 * [clawauth] loads the Rust library and may create the Keystore key on first use: touch it off
 * the main thread (every caller in the app does so on Dispatchers.IO or in a job).
 */
class App : Application() {
    /** For work that outlives a screen but not the process (cancelled with it). */
    val scope: CoroutineScope = CoroutineScope(SupervisorJob() + Dispatchers.Main.immediate)

    /** The app's SSH key, created in the Keystore on first use; null if the Keystore failed. */
    val signer: JcaSshSigner? by lazy { KeystoreSigner.obtainOrNull() }

    val clawauth: Clawauth by lazy {
        val config = File(filesDir, "config").apply { mkdirs() }
        Clawauth(
            AppDirs(filesDir.absolutePath, config.absolutePath, cacheDir.absolutePath),
            KeystoreSecretStore(this),
            listOfNotNull(signer),
            null,
            PlatformResolver(),
        )
    }

    /** One for the process: it remembers what each host showed, to notice changes. */
    val refresher: Refresher by lazy { Refresher(clawauth) }

    override fun onCreate() {
        super.onCreate()
        Notices.createChannel(this)
    }

    companion object {
        const val TAG = "clawauth"

        fun of(context: Context): App = context.applicationContext as App
    }
}

/**
 * The platform's resolver (`InetAddress.getAllByName` on the current network), so names on the
 * LAN (`gateway.lan`, mDNS where the phone supports it) resolve as for the phone's other apps.
 */
class PlatformResolver : NameResolver {
    override suspend fun resolve(host: String): List<String> = withContext(Dispatchers.IO) {
        val addresses = try {
            InetAddress.getAllByName(host)
        } catch (e: UnknownHostException) {
            throw ClawauthException.CannotResolve(host, e.message ?: "unknown host")
        } catch (e: SecurityException) {
            throw ClawauthException.CannotResolve(host, "no network permission")
        }
        // A link-local IPv6 address carries its interface (fe80::1%wlan0), which an IpAddr does
        // not parse: keep the address.
        val found = addresses.map { it.hostAddress.substringBefore('%') }.distinct()
        Log.d(App.TAG, "resolved ${found.size} address(es) for a gateway")
        found
    }
}
