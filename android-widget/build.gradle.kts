// Root build: plugins are declared here and applied in app/build.gradle.kts.
plugins {
    alias(libs.plugins.android.application) apply false
    // AGP 9 compiles Kotlin itself (built-in Kotlin); declaring the Kotlin Gradle plugin here,
    // not applied, pins the Kotlin version it uses to the catalog's.
    alias(libs.plugins.kotlin.android) apply false
}
