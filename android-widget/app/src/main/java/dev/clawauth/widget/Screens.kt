package dev.clawauth.widget

import android.app.Activity
import android.content.Context
import android.os.Build
import android.view.View
import android.view.WindowInsets
import android.widget.Toast

/**
 * A view of the activity's layout, as its type. (Assigned to a View first: this compiles alike
 * against the SDK's generic `findViewById` and a non-generic one.)
 */
inline fun <reified V : View> Activity.find(id: Int): V {
    val view: View = findViewById(id)
    return view as V
}

/** Small helpers the screens share. */
object Screens {
    /**
     * Apps targeting Android 15+ are drawn edge to edge: pad [root] by the system bars, the
     * display cutout and the keyboard, on top of its own padding. Earlier versions lay the
     * window out inside the bars themselves.
     */
    fun fitInsets(root: View) {
        if (Build.VERSION.SDK_INT < 30) return
        val left = root.paddingLeft
        val top = root.paddingTop
        val right = root.paddingRight
        val bottom = root.paddingBottom
        root.setOnApplyWindowInsetsListener { v, insets ->
            val i = insets.getInsets(
                WindowInsets.Type.systemBars() or WindowInsets.Type.displayCutout() or WindowInsets.Type.ime(),
            )
            v.setPadding(left + i.left, top + i.top, right + i.right, bottom + i.bottom)
            insets
        }
        root.requestApplyInsets()
    }

    fun toast(context: Context, text: CharSequence) {
        Toast.makeText(context, text, Toast.LENGTH_SHORT).show()
    }

    fun show(view: View, visible: Boolean) {
        view.visibility = if (visible) View.VISIBLE else View.GONE
    }
}
