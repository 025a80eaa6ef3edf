// The clawauth widget app. Before any build (preBuild), two tasks run in the workspace root
// (android-widget/..):
//   cargoNdk       cargo ndk -t arm64-v8a -t x86_64 -o app/src/main/jniLibs build --release -p clawauth-ffi
//   uniffiBindgen  uniffi-bindgen generate --library <the arm64 .so> --language kotlin
//                  --out-dir build/generated/uniffi   (added to the Kotlin sources)
// Needs cargo, cargo-ndk and the Rust Android targets on PATH; see README.md.
import javax.inject.Inject
import org.gradle.process.ExecOperations
import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    alias(libs.plugins.android.application)
}

/** The cargo workspace: the repository root, one above android-widget/. */
val cargoWorkspace: Directory = rootProject.layout.projectDirectory.dir("..")
val jniLibsDir: Directory = layout.projectDirectory.dir("src/main/jniLibs")
val uniffiOut: Provider<Directory> = layout.buildDirectory.dir("generated/uniffi")

android {
    namespace = "dev.clawauth.widget"
    compileSdk = 36
    ndkVersion = libs.versions.ndk.get()

    defaultConfig {
        applicationId = "dev.clawauth.widget"
        minSdk = 26
        targetSdk = 36
        versionCode = 1
        versionName = "0.1.0"
        // The ABIs cargoNdk builds; JNA's AAR carries more, which are left out.
        ndk {
            abiFilters += listOf("arm64-v8a", "x86_64")
        }
    }

    buildTypes {
        release {
            isMinifyEnabled = true
            isShrinkResources = true
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"), "proguard-rules.pro")
            // Unsigned: sign with your own key (apksigner) or add a signingConfig here.
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    sourceSets {
        getByName("main") {
            // The generated bindings (package uniffi.clawauth_ffi).
            kotlin.srcDir(uniffiOut)
        }
        getByName("test") {
            // src/test/kotlin holds the logic's JVM tests: they need the bindings' lab (real sshd
            // gateways, bindings/kotlin/src/test) and the host library, and run with the bindings'
            // JVM suite, not as Gradle unit tests.
            kotlin.setSrcDirs(emptyList<String>())
            java.setSrcDirs(emptyList<String>())
        }
    }
}

kotlin {
    compilerOptions {
        jvmTarget.set(JvmTarget.JVM_17)
    }
}

dependencies {
    implementation(libs.kotlinx.coroutines.android)
    implementation(libs.jna) {
        artifact {
            type = "aar"
        }
    }
}

// --- The Rust library and its Kotlin bindings ------------------------------------------------

/** Builds libclawauth_ffi.so for each ABI into src/main/jniLibs/<abi>/ with cargo-ndk. */
val cargoNdk by tasks.registering(Exec::class) {
    group = "rust"
    description = "Builds libclawauth_ffi.so for arm64-v8a and x86_64 with cargo-ndk (release)."
    workingDir = cargoWorkspace.asFile
    commandLine(
        "cargo", "ndk",
        "-t", "arm64-v8a",
        "-t", "x86_64",
        "--platform", "26",
        "-o", jniLibsDir.asFile.absolutePath,
        "build", "--release", "-p", "clawauth-ffi",
    )
    // The workspace's release profile strips every symbol (strip = true), and with them the
    // UniFFI metadata uniffi-bindgen reads: keep the symbol table, drop only the debug info.
    // AGP strips the copies it packages (with the NDK's llvm-strip).
    environment("CARGO_PROFILE_RELEASE_STRIP", "debuginfo")
    // cargo-ndk finds the NDK through ANDROID_NDK_HOME: the one AGP uses (ndkVersion above).
    val ndkDir = androidComponents.sdkComponents.ndkDirectory
    doFirst {
        environment("ANDROID_NDK_HOME", ndkDir.get().asFile.absolutePath)
    }
    inputs.files(
        cargoWorkspace.file("Cargo.toml"),
        cargoWorkspace.file("Cargo.lock"),
        cargoWorkspace.file("bindings/Cargo.toml"),
        cargoWorkspace.file("core/Cargo.toml"),
    ).withPropertyName("manifests")
    inputs.dir(cargoWorkspace.dir("bindings/src")).withPropertyName("bindingsSources")
    inputs.dir(cargoWorkspace.dir("core/src")).withPropertyName("coreSources")
    outputs.file(jniLibsDir.file("arm64-v8a/libclawauth_ffi.so"))
    outputs.file(jniLibsDir.file("x86_64/libclawauth_ffi.so"))
}

/** Runs the workspace's uniffi-bindgen on a built library: the Kotlin of uniffi.clawauth_ffi. */
abstract class UniffiBindgen @Inject constructor(private val exec: ExecOperations) : DefaultTask() {
    @get:InputFile
    @get:PathSensitive(PathSensitivity.NONE)
    abstract val library: RegularFileProperty

    @get:Internal
    abstract val workspace: DirectoryProperty

    @get:OutputDirectory
    abstract val outputDir: DirectoryProperty

    @TaskAction
    fun generate() {
        val out = outputDir.get().asFile
        out.deleteRecursively()
        out.mkdirs()
        exec.exec {
            workingDir = workspace.get().asFile
            commandLine(
                "cargo", "run", "--quiet", "-p", "uniffi-bindgen", "--",
                "generate",
                "--library", library.get().asFile.absolutePath,
                "--language", "kotlin",
                "--out-dir", out.absolutePath,
                "--no-format",
            )
        }
    }
}

val uniffiBindgen by tasks.registering(UniffiBindgen::class) {
    group = "rust"
    description = "Generates the Kotlin bindings of clawauth-ffi into build/generated/uniffi."
    dependsOn(cargoNdk)
    // Any ABI's library carries the same metadata (the library name comes from the file name).
    library.set(jniLibsDir.file("arm64-v8a/libclawauth_ffi.so"))
    workspace.set(cargoWorkspace)
    outputDir.set(uniffiOut)
}

tasks.named("preBuild") {
    dependsOn(cargoNdk, uniffiBindgen)
}
