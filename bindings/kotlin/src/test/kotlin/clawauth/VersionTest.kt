package clawauth

import kotlin.test.Test
import kotlin.test.assertEquals
import uniffi.clawauth_ffi.coreVersion

class VersionTest {
    /** The library answers through JNA, and carries the workspace's version. */
    @Test
    fun coreVersionIsTheWorkspaceVersion() {
        assertEquals("0.1.0", coreVersion())
    }
}
