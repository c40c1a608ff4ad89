package ru.lermontov.cbs.lgota

import android.os.Bundle
import android.view.WindowManager
import androidx.activity.enableEdgeToEdge

class MainActivity : TauriActivity() {
  override fun onCreate(savedInstanceState: Bundle?) {
    enableEdgeToEdge()
    // The screens show check records and who made them (regulation §5.2: confidential). FLAG_SECURE
    // keeps them out of screenshots, screen recordings, casting and the recent-apps preview.
    window.setFlags(WindowManager.LayoutParams.FLAG_SECURE, WindowManager.LayoutParams.FLAG_SECURE)
    super.onCreate(savedInstanceState)
  }
}
