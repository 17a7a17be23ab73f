//! A network cable the tests can pull: a TCP relay on 127.0.0.1 between a
//! browser and a test server. Pulled, it refuses new connections and cuts
//! the open ones, so the page, its service worker and the browser itself
//! all lose the server, as on a phone with no signal. (Chromium's own
//! offline emulation reaches only the page, not its service worker.)

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{AbortHandle, JoinHandle};

pub struct Plug {
    addr: SocketAddr,
    connected: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<AbortHandle>>>,
    relay: JoinHandle<()>,
}

impl Plug {
    /// A relay to `server`, plugged in.
    pub async fn to(server: SocketAddr) -> Plug {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port on 127.0.0.1");
        let addr = listener.local_addr().expect("its address");
        let connected = Arc::new(AtomicBool::new(true));
        let open = Arc::new(Mutex::new(Vec::<AbortHandle>::new()));
        let relay = tokio::spawn({
            let (connected, open) = (connected.clone(), open.clone());
            async move {
                while let Ok((mut inbound, _)) = listener.accept().await {
                    if !connected.load(Ordering::SeqCst) {
                        continue; // dropped: the connection is refused
                    }
                    let task = tokio::spawn(async move {
                        if let Ok(mut outbound) = TcpStream::connect(server).await {
                            let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                        }
                    });
                    let mut open = open.lock().expect("the list of connections");
                    open.retain(|t| !t.is_finished());
                    open.push(task.abort_handle());
                }
            }
        });
        Plug {
            addr,
            connected,
            open,
            relay,
        }
    }

    /// A URL on the server, through the relay.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// No more network: open connections are cut, new ones refused.
    pub fn pull(&self) {
        self.connected.store(false, Ordering::SeqCst);
        for task in self.open.lock().expect("the list of connections").drain(..) {
            task.abort();
        }
    }

    /// The network is back.
    pub fn plug_in(&self) {
        self.connected.store(true, Ordering::SeqCst);
    }
}

impl Drop for Plug {
    fn drop(&mut self) {
        self.pull();
        self.relay.abort();
    }
}
