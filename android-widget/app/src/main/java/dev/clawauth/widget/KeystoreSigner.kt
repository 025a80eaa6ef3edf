package dev.clawauth.widget

import android.os.Build
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import android.util.Log
import dev.clawauth.widget.logic.JcaSshSigner
import java.security.GeneralSecurityException
import java.security.KeyPairGenerator
import java.security.KeyStore
import java.security.PrivateKey
import java.security.Signature
import java.security.spec.ECGenParameterSpec
import javax.security.auth.x500.X500Principal
import uniffi.clawauth_ffi.KeyAlgorithm

/**
 * The app's SSH key, in the Android Keystore: made once, never exported (signing happens in the
 * Keystore, in secure hardware where the phone has it). Android 13+ Keystores may offer Ed25519;
 * where one does, that is the key, else ECDSA P-256, which every Keystore has. The signer itself
 * is [JcaSshSigner] (plain JCA), which takes the algorithm from the key.
 */
object KeystoreSigner {
    const val ALIAS = "clawauth-ssh"
    private const val PROVIDER = "AndroidKeyStore"

    /** The key as a signer, created first if the Keystore has none. */
    @Synchronized
    fun obtain(): JcaSshSigner {
        val ks = keyStore()
        if (!ks.containsAlias(ALIAS)) create(ks)
        return load(ks)
    }

    /** [obtain], or null (logged) when the Keystore cannot make or load the key. */
    fun obtainOrNull(): JcaSshSigner? = try {
        obtain()
    } catch (e: GeneralSecurityException) {
        Log.e(App.TAG, "the Keystore could not provide the SSH key", e)
        null
    } catch (e: RuntimeException) {
        Log.e(App.TAG, "the Keystore could not provide the SSH key", e)
        null
    }

    private fun keyStore(): KeyStore = KeyStore.getInstance(PROVIDER).apply { load(null) }

    private fun load(ks: KeyStore): JcaSshSigner {
        val privateKey = ks.getKey(ALIAS, null) as? PrivateKey
            ?: throw GeneralSecurityException("the Keystore entry $ALIAS holds no private key")
        val publicKey = ks.getCertificate(ALIAS)?.publicKey
            ?: throw GeneralSecurityException("the Keystore entry $ALIAS has no certificate")
        return JcaSshSigner(ALIAS, publicKey, privateKey)
    }

    private fun create(ks: KeyStore) {
        if (Build.VERSION.SDK_INT >= 33) {
            try {
                generate(ECGenParameterSpec("ed25519"), KeyProperties.DIGEST_NONE)
                probe(ks, "Ed25519")
                Log.i(App.TAG, "made an Ed25519 SSH key in the Keystore")
                return
            } catch (e: Exception) {
                // Keymaster/KeyMint without Curve25519 (ProviderException, KeyStoreException,
                // InvalidAlgorithmParameterException…), or a key that does not come back usable.
                Log.i(App.TAG, "no usable Ed25519 in this Keystore (${e.javaClass.simpleName}); using ECDSA P-256")
            }
            if (ks.containsAlias(ALIAS)) ks.deleteEntry(ALIAS)
        }
        generate(ECGenParameterSpec("secp256r1"), KeyProperties.DIGEST_SHA256)
        Log.i(App.TAG, "made an ECDSA P-256 SSH key in the Keystore")
    }

    private fun generate(curve: ECGenParameterSpec, digest: String) {
        val spec = KeyGenParameterSpec.Builder(ALIAS, KeyProperties.PURPOSE_SIGN)
            .setAlgorithmParameterSpec(curve)
            .setDigests(digest)
            .setCertificateSubject(X500Principal("CN=clawauth widget"))
            .build()
        val generator = KeyPairGenerator.getInstance(KeyProperties.KEY_ALGORITHM_EC, PROVIDER)
        generator.initialize(spec)
        generator.generateKeyPair()
    }

    /**
     * A key the Keystore made may still not be one this app can use (an Ed25519 key whose
     * public half does not come back as one, a signature the provider refuses): load it and
     * sign once, so such a key is replaced now rather than failing at the first login.
     */
    private fun probe(ks: KeyStore, algorithm: String) {
        val signer = load(ks)
        val privateKey = ks.getKey(ALIAS, null) as PrivateKey
        val s = Signature.getInstance(algorithm)
        s.initSign(privateKey)
        s.update("clawauth key probe".toByteArray())
        s.sign()
        // JcaSshSigner took its algorithm from the public key: it must be the one made.
        if (signer.algorithm() != KeyAlgorithm.ED25519) {
            throw GeneralSecurityException("the Keystore returned a ${signer.algorithm()} key")
        }
    }
}
