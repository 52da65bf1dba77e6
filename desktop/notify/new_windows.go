//go:build windows

package notify

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

// Toast shows Windows toasts through PowerShell.
type Toast struct{}

// New returns the Windows toast notifier.
func New(DBusOptions) (Notifier, error) { return Toast{}, nil }

// Show displays n as a toast; a click opens n.Link.
func (Toast) Show(n Notification) (ID, error) {
	cmd := exec.Command("powershell.exe", "-NoProfile", "-NonInteractive", "-Command", toastScript)
	cmd.Env = append(os.Environ(), "SOTTO_TOAST_XML="+toastXML(n), "SOTTO_TOAST_APPID="+powershellAppID)
	cmd.SysProcAttr = &syscall.SysProcAttr{HideWindow: true, CreationFlags: 0x08000000} // CREATE_NO_WINDOW
	if out, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("notify: toast: %w (%d bytes of output)", err, len(out))
	}
	return 0, nil
}

// Close does nothing: toasts expire by themselves.
func (Toast) Close(ID) error { return nil }

// Stop does nothing.
func (Toast) Stop() error { return nil }

// toastScript shows the toast whose XML is in $env:SOTTO_TOAST_XML: the
// text never becomes part of the script.
const toastScript = `[Windows.UI.Notifications.ToastNotificationManager, Windows.UI.Notifications, ContentType = WindowsRuntime] | Out-Null
[Windows.Data.Xml.Dom.XmlDocument, Windows.Data.Xml.Dom.XmlDocument, ContentType = WindowsRuntime] | Out-Null
$x = New-Object Windows.Data.Xml.Dom.XmlDocument
$x.LoadXml($env:SOTTO_TOAST_XML)
$t = New-Object Windows.UI.Notifications.ToastNotification $x
[Windows.UI.Notifications.ToastNotificationManager]::CreateToastNotifier($env:SOTTO_TOAST_APPID).Show($t)`

// powershellAppID is the AppUserModelID toasts are shown under: PowerShell's
// own, which every Windows 10/11 has registered. Sotto's installer does not
// register an id of its own yet (docs/DESKTOP.md).
const powershellAppID = `{1AC14E77-02E7-4E5D-B744-2EB1AE5198B7}\WindowsPowerShell\v1.0\powershell.exe`
