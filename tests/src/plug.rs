//! A network cable the tests can pull: a TCP relay on 127.0.0.1 between a
//! browser and a test server. Pulled, it refuses new connections and cuts
//! the open ones, so the page, its service worker and the browser itself
//! all lose the server, as on a phone with no signal. (Chromium's own
//! offline emulation reaches only the page, not its service worker.) It can
//! also slow the uplink, as on a weak signal (Chromium's emulation does not
//! slow what a page uploads).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{AbortHandle, JoinHandle};

pub struct Plug {
    addr: SocketAddr,
    connected: Arc<AtomicBool>,
    /// Bytes a second from the browser to the server; 0 for no limit.
    uplink: Arc<AtomicU64>,
    open: Arc<Mutex<Vec<AbortHandle>>>,
    relay: JoinHandle<()>,
}

impl Plug {
    /// A relay to `server`, plugged in.
    pub async fn to(server: SocketAddr) -> Plug {
        // A small receive buffer (inherited by each accepted connection),
        // so a slowed uplink holds the browser back as a weak signal does,
        // rather than taking its upload into the kernel at once.
        let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
        socket.set_recv_buffer_size(8 * 1024).expect("SO_RCVBUF");
        socket
            .bind("127.0.0.1:0".parse().expect("an address"))
            .expect("a port on 127.0.0.1");
        let listener: TcpListener = socket.listen(64).expect("listening");
        let addr = listener.local_addr().expect("its address");
        let connected = Arc::new(AtomicBool::new(true));
        let uplink = Arc::new(AtomicU64::new(0));
        let open = Arc::new(Mutex::new(Vec::<AbortHandle>::new()));
        let relay = tokio::spawn({
            let (connected, open, uplink) = (connected.clone(), open.clone(), uplink.clone());
            async move {
                while let Ok((inbound, _)) = listener.accept().await {
                    if !connected.load(Ordering::SeqCst) {
                        continue; // dropped: the connection is refused
                    }
                    let uplink = uplink.clone();
                    let task = tokio::spawn(async move {
                        let Ok(outbound) = TcpStream::connect(server).await else {
                            return;
                        };
                        let (from_browser, to_browser) = inbound.into_split();
                        let (from_server, to_server) = outbound.into_split();
                        tokio::select! {
                            _ = relay(from_browser, to_server, uplink) => {}
                            _ = relay(from_server, to_browser, Arc::new(AtomicU64::new(0))) => {}
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
            uplink,
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

    /// The uplink slowed to `bytes_per_second` (0: as fast as it goes).
    pub fn limit_uplink(&self, bytes_per_second: u64) {
        self.uplink.store(bytes_per_second, Ordering::SeqCst);
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

/// Copies one direction of a connection, at most `limit` bytes a second
/// when it is set, until either side closes.
async fn relay(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    limit: Arc<AtomicU64>,
) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let rate = limit.load(Ordering::SeqCst);
        // Small reads when slowed, so the pace is even.
        let most = if rate == 0 { buffer.len() } else { 4 * 1024 };
        let n = match from.read(&mut buffer[..most]).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if to.write_all(&buffer[..n]).await.is_err() {
            return;
        }
        if rate > 0 {
            tokio::time::sleep(Duration::from_secs_f64(n as f64 / rate as f64)).await;
        }
    }
}
