package dev.clawauth.widget

import android.content.Context
import android.content.SharedPreferences
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import android.util.Base64
import android.util.Log
import java.security.GeneralSecurityException
import java.security.KeyStore
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec
import uniffi.clawauth_ffi.ClawauthException
import uniffi.clawauth_ffi.SecretStore

/**
 * Where clawauth keeps secrets (a key file's passphrase, an ntfy token): each value AES-256-GCM
 * encrypted with a key that lives in the Android Keystore, stored in SharedPreferences as Base64
 * of IV (12 bytes) + ciphertext. The entry's name is bound to its value as associated data, so a
 * value copied under another name does not decrypt. Nothing here logs a value.
 *
 * Called from the Rust library's threads (never the main thread); calls are serialised.
 */
class KeystoreSecretStore(context: Context) : SecretStore {
    private val prefs: SharedPreferences =
        context.applicationContext.getSharedPreferences(PREFS, Context.MODE_PRIVATE)

    @Synchronized
    override fun get(key: String): String? {
        val stored = prefs.getString(entry(key), "").orEmpty()
        if (stored.isEmpty()) return null
        val bytes = try {
            Base64.decode(stored, Base64.NO_WRAP)
        } catch (e: IllegalArgumentException) {
            forget(key, "is not Base64")
            return null
        }
        if (bytes.size <= IV_BYTES) {
            forget(key, "is too short")
            return null
        }
        return try {
            val cipher = Cipher.getInstance(TRANSFORMATION)
            cipher.init(Cipher.DECRYPT_MODE, secretKey(), GCMParameterSpec(TAG_BITS, bytes, 0, IV_BYTES))
            cipher.updateAAD(key.toByteArray(Charsets.UTF_8))
            String(cipher.doFinal(bytes, IV_BYTES, bytes.size - IV_BYTES), Charsets.UTF_8)
        } catch (e: GeneralSecurityException) {
            // The Keystore key is gone (data restored onto another phone, the key invalidated)
            // or the value was altered: it can never be read again.
            forget(key, "cannot be decrypted (${e.javaClass.simpleName})")
            null
        }
    }

    @Synchronized
    override fun set(key: String, value: String) {
        val sealed = try {
            val cipher = Cipher.getInstance(TRANSFORMATION)
            // The Keystore picks a fresh random IV for every encryption.
            cipher.init(Cipher.ENCRYPT_MODE, secretKey())
            cipher.updateAAD(key.toByteArray(Charsets.UTF_8))
            val ciphertext = cipher.doFinal(value.toByteArray(Charsets.UTF_8))
            val iv = cipher.iv
            check(iv.size == IV_BYTES) { "unexpected GCM IV length ${iv.size}" }
            iv + ciphertext
        } catch (e: GeneralSecurityException) {
            throw ClawauthException.Other("the Keystore could not encrypt a secret (${e.javaClass.simpleName})")
        }
        if (!prefs.edit().putString(entry(key), Base64.encodeToString(sealed, Base64.NO_WRAP)).commit()) {
            throw ClawauthException.Other("a secret could not be written to the app's storage")
        }
    }

    @Synchronized
    override fun delete(key: String): Boolean {
        val name = entry(key)
        if (!prefs.contains(name)) return false
        prefs.edit().remove(name).commit()
        return true
    }

    private fun forget(key: String, why: String) {
        // The entry's name (e.g. which key file a passphrase is for) is not a secret; its value is.
        Log.w(App.TAG, "dropping stored secret \"$key\": it $why")
        prefs.edit().remove(entry(key)).commit()
    }

    private fun secretKey(): SecretKey {
        val ks = KeyStore.getInstance(PROVIDER).apply { load(null) }
        (ks.getKey(ALIAS, null) as? SecretKey)?.let { return it }
        val generator = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, PROVIDER)
        generator.init(
            KeyGenParameterSpec.Builder(ALIAS, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
                .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
                .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
                .setKeySize(256)
                .build(),
        )
        return generator.generateKey()
    }

    private fun entry(key: String) = "secret:$key"

    private companion object {
        const val PREFS = "secrets"
        const val PROVIDER = "AndroidKeyStore"
        const val ALIAS = "clawauth-secrets"
        const val TRANSFORMATION = "AES/GCM/NoPadding"
        const val IV_BYTES = 12
        const val TAG_BITS = 128
    }
}
