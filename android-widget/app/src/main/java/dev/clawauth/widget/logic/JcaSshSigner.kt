package dev.clawauth.widget.logic

import java.security.PrivateKey
import java.security.PublicKey
import java.security.Signature
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import uniffi.clawauth_ffi.KeyAlgorithm
import uniffi.clawauth_ffi.SshSigner

/**
 * An SSH identity whose private key never leaves its keystore: plain JCA, so the same class signs
 * with an Android Keystore key on the phone (the private key is a handle; signing happens in the
 * secure hardware) and with a JCA key in the JVM tests. The core turns the DER ECDSA signature
 * into SSH's encoding.
 */
class JcaSshSigner(
    private val alias: String,
    private val publicKey: PublicKey,
    private val privateKey: PrivateKey,
) : SshSigner {
    private val algorithm: KeyAlgorithm = algorithmOf(publicKey)

    override fun label(): String = "Android Keystore key \"$alias\""

    override fun algorithm(): KeyAlgorithm = algorithm

    override fun publicKeySpki(): ByteArray = publicKey.encoded

    override suspend fun sign(data: ByteArray): ByteArray = withContext(Dispatchers.IO) {
        val s = when (algorithm) {
            KeyAlgorithm.ECDSA_P256 -> Signature.getInstance("SHA256withECDSA")
            KeyAlgorithm.ED25519 -> Signature.getInstance("Ed25519")
        }
        s.initSign(privateKey)
        s.update(data)
        s.sign()
    }

    companion object {
        /** ECDSA P-256 or Ed25519, from the public key; anything else is refused. */
        fun algorithmOf(key: PublicKey): KeyAlgorithm = when (key.algorithm) {
            "EC" -> {
                val bits = (key as? java.security.interfaces.ECPublicKey)?.params?.curve?.field?.fieldSize
                require(bits == 256) { "only the P-256 curve is supported, not a $bits-bit one" }
                KeyAlgorithm.ECDSA_P256
            }
            "Ed25519", "EdDSA" -> KeyAlgorithm.ED25519
            else -> throw IllegalArgumentException("an SSH key must be ECDSA P-256 or Ed25519, not ${key.algorithm}")
        }
    }
}
