//! Password policy and hashing (ASVS 2.1, 2.4): 12 to 128 characters,
//! argon2id with the crate's defaults (m=19 MiB, t=2, p=1, OWASP's minimum),
//! stored as a PHC string that carries its own salt and parameters.
//! Hashing costs tens of milliseconds and 19 MiB: callers on the async
//! runtime use [`hash_bounded`] and [`verify_bounded`], which run it on the
//! blocking pool behind a process-wide bound ([`Gate`]), in working memory
//! that is allocated once per slot and reused ([`Scratch`]).

use argon2::password_hash::{Output, ParamsString, PasswordHash, Salt, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::rngs::OsRng;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub const MIN_LEN: usize = 12;
pub const MAX_LEN: usize = 128;

/// Checks the policy; the message is for the person choosing the password.
pub fn check_policy(password: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < MIN_LEN {
        return Err(format!(
            "the password must have at least {MIN_LEN} characters"
        ));
    }
    if chars > MAX_LEN {
        return Err(format!(
            "the password must have at most {MAX_LEN} characters"
        ));
    }
    if password
        .chars()
        .all(|c| c == password.chars().next().unwrap_or(' '))
    {
        return Err("the password must not repeat one character".to_owned());
    }
    Ok(())
}

/// argon2's working memory (19 MiB at our parameters). The crate allocates
/// it afresh for every hash; glibc then keeps most of what was freed in its
/// per-thread arenas, so even a few hashes at a time ratcheted the RSS up
/// by hundreds of MB. Each [`Gate`] slot keeps one and reuses it.
#[derive(Default)]
pub struct Scratch(Vec<Block>);

/// No stored hash of ours asks for more memory than this (4× the default):
/// a PHC string that does is refused rather than allowed to grow a buffer.
const MAX_BLOCKS: usize = 4 * Params::DEFAULT_M_COST as usize;

/// argon2 over `password` with `salt`, in `scratch`: what the crate's
/// `PasswordHasher::hash_password` computes, without its allocation.
fn compute(
    password: &[u8],
    algorithm: Algorithm,
    version: Version,
    params: Params,
    salt: Salt<'_>,
    scratch: &mut Scratch,
) -> Result<Output, argon2::password_hash::Error> {
    let blocks = params.block_count();
    if blocks > MAX_BLOCKS {
        return Err(argon2::password_hash::Error::ParamValueInvalid(
            argon2::password_hash::errors::InvalidValue::TooLong,
        ));
    }
    if scratch.0.len() < blocks {
        scratch.0.resize(blocks, Block::default());
    }
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes)?;
    let output_len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let argon = Argon2::new(algorithm, version, params);
    Output::init_with(output_len, |out| {
        argon.hash_password_into_with_memory(
            password,
            salt_bytes,
            out,
            &mut scratch.0[..blocks],
        )?;
        Ok(())
    })
}

/// A new PHC string for `password` (argon2id, default parameters, a random
/// salt), computed in `scratch`.
pub fn hash_in(
    password: &str,
    scratch: &mut Scratch,
) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    let params = Params::default();
    let output = compute(
        password.as_bytes(),
        Algorithm::Argon2id,
        Version::V0x13,
        params.clone(),
        salt.as_salt(),
        scratch,
    )?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params)?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(phc.to_string())
}

/// True when `password` matches the stored PHC string, computed in `scratch`.
pub fn verify_in(password: &str, phc: &str, scratch: &mut Scratch) -> bool {
    matches(password, phc, scratch).unwrap_or(false)
}

fn matches(
    password: &str,
    phc: &str,
    scratch: &mut Scratch,
) -> Result<bool, argon2::password_hash::Error> {
    let parsed = PasswordHash::new(phc)?;
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Ok(false);
    };
    let algorithm = Algorithm::try_from(parsed.algorithm)?;
    let version = parsed
        .version
        .map(Version::try_from)
        .transpose()?
        .unwrap_or_default();
    let params = Params::try_from(&parsed)?;
    // `Output`'s equality is constant-time.
    Ok(compute(
        password.as_bytes(),
        algorithm,
        version,
        params,
        salt,
        scratch,
    )? == expected)
}

pub fn hash(password: &str) -> Result<String, argon2::password_hash::Error> {
    hash_in(password, &mut Scratch::default())
}

/// True when `password` matches the stored PHC string.
pub fn verify(password: &str, phc: &str) -> bool {
    verify_in(password, phc, &mut Scratch::default())
}

/// A hash to verify against when the username is unknown, so the time an
/// answer takes does not tell whether an account exists. Made on first use,
/// on the blocking pool under a permit like every other hash.
fn dummy_hash(scratch: &mut Scratch) -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        hash_in("not a real password, only for timing", scratch).unwrap_or_default()
    })
}

/// Every argon2 computation a request can cause waits here.
///
/// Each one holds 19 MiB for tens of milliseconds. Unbounded, 200 parallel
/// wrong-password sign-ins took the server from 0.9 GB to 4.4 GB of RSS
/// (the allocator kept it afterwards): the blocking pool grows to 512
/// threads and runs them all at once. So at most `slots` run at once (one
/// per core: more would not finish sooner), a few more wait their turn for
/// a moment, and the rest are refused at once with [`Busy`] (503 with
/// `Retry-After`), costing nothing. The bound is process-wide because what
/// it protects, the process's memory and cores, is.
///
/// Two pools: `open` for anyone who can reach the sign-in form, and
/// `trusted` for clients that have shown they are someone (a device cookie
/// from an earlier sign-in, a signed-in admin setting a password). A flood
/// of strangers fills `open` and never touches `trusted`, so an account's
/// owner still gets in during one.
pub struct Gate {
    open: Pool,
    trusted: Pool,
    /// Working memory, one per slot in use so far (never more than the
    /// slots of both pools: each job holds a permit while it has one).
    scratch: Mutex<Vec<Scratch>>,
}

/// Who asks for a hash: decides the pool it waits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// Anyone: an unrecognised client signing in.
    Anyone,
    /// A recognised device, or a signed-in staff member.
    Trusted,
}

/// Every slot is taken and the queue is full: try again in a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the server is busy checking passwords; try again in {retry_after_secs} s")]
pub struct Busy {
    pub retry_after_secs: u64,
}

struct Pool {
    slots: Arc<Semaphore>,
    waiting: AtomicUsize,
    max_waiting: usize,
    max_wait: Duration,
}

impl Pool {
    fn new(slots: usize, max_waiting: usize, max_wait: Duration) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(slots.max(1))),
            waiting: AtomicUsize::new(0),
            max_waiting,
            max_wait,
        }
    }

    async fn acquire(&self) -> Result<OwnedSemaphorePermit, Busy> {
        let busy = Busy {
            retry_after_secs: 1,
        };
        if let Ok(permit) = self.slots.clone().try_acquire_owned() {
            return Ok(permit);
        }
        // A bounded queue: a waiting request holds a few hundred bytes, not
        // 19 MiB, but an unbounded queue would still grow with the flood.
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(busy);
        }
        let permit = tokio::time::timeout(self.max_wait, self.slots.clone().acquire_owned()).await;
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        match permit {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(busy),
        }
    }
}

impl Gate {
    /// `slots` hashes at once for anyone, one more for trusted callers.
    pub fn new(slots: usize) -> Self {
        let slots = slots.max(1);
        Self {
            open: Pool::new(slots, 8 * slots, Duration::from_secs(3)),
            trusted: Pool::new(1, 8, Duration::from_secs(5)),
            scratch: Mutex::new(Vec::new()),
        }
    }

    /// Runs `job` on the blocking pool once a slot is free. The permit
    /// moves into the job, so a slot stays taken until the hash is done
    /// even when the client hangs up and its request is dropped.
    async fn run<T: Send + 'static>(
        &'static self,
        caller: Caller,
        job: impl FnOnce(&mut Scratch) -> T + Send + 'static,
    ) -> Result<Option<T>, Busy> {
        let pool = match caller {
            Caller::Anyone => &self.open,
            Caller::Trusted => &self.trusted,
        };
        let permit = pool.acquire().await?;
        Ok(tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let mut scratch = self
                .scratch
                .lock()
                .ok()
                .and_then(|mut free| free.pop())
                .unwrap_or_default();
            let result = job(&mut scratch);
            if let Ok(mut free) = self.scratch.lock() {
                free.push(scratch);
            }
            result
        })
        .await
        .ok())
    }
}

/// The process's gate: one slot per core.
pub fn gate() -> &'static Gate {
    static GATE: LazyLock<Gate> = LazyLock::new(|| {
        Gate::new(
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
        )
    });
    &GATE
}

/// Why a bounded hash did not happen.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error(transparent)]
    Busy(#[from] Busy),
    #[error("hashing the password failed: {0}")]
    Failed(String),
}

/// [`hash`], on the blocking pool, within the [`gate`].
pub async fn hash_bounded(password: String, caller: Caller) -> Result<String, HashError> {
    match gate()
        .run(caller, move |scratch| hash_in(&password, scratch))
        .await?
    {
        Some(Ok(phc)) => Ok(phc),
        Some(Err(e)) => Err(HashError::Failed(e.to_string())),
        None => Err(HashError::Failed("the hashing task stopped".to_owned())),
    }
}

/// [`verify`], on the blocking pool, within the [`gate`]. With no stored
/// hash (an unknown user) it verifies against a dummy one, at the same cost,
/// and answers false.
pub async fn verify_bounded(
    password: String,
    phc: Option<String>,
    caller: Caller,
) -> Result<bool, Busy> {
    let job = move |scratch: &mut Scratch| match &phc {
        Some(phc) => verify_in(&password, phc, scratch),
        None => {
            let dummy = dummy_hash(scratch);
            verify_in(&password, dummy, scratch);
            false
        }
    };
    Ok(gate().run(caller, job).await?.unwrap_or(false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_is_argon2id_and_verifies_only_its_password() {
        let phc = hash("correct horse battery").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify("correct horse battery", &phc));
        assert!(!verify("correct horse battery!", &phc));
    }

    #[test]
    fn a_hash_made_in_reused_memory_is_the_crates_own() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let crate_own = |pw: &str| {
            let salt = SaltString::generate(&mut OsRng);
            Argon2::default()
                .hash_password(pw.as_bytes(), &salt)
                .unwrap()
                .to_string()
        };
        let mut scratch = Scratch::default();
        // Ours verifies the crate's hashes, the crate verifies ours, and a
        // buffer used before gives the same answers.
        for _ in 0..2 {
            let theirs = crate_own("correct horse battery");
            assert!(verify_in("correct horse battery", &theirs, &mut scratch));
            assert!(!verify_in("correct horse battery?", &theirs, &mut scratch));
            let ours = hash_in("correct horse battery", &mut scratch).unwrap();
            let parsed = PasswordHash::new(&ours).unwrap();
            assert!(
                Argon2::default()
                    .verify_password(b"correct horse battery", &parsed)
                    .is_ok()
            );
        }
        assert_eq!(
            scratch.0.len(),
            Params::DEFAULT_M_COST as usize,
            "one 19 MiB buffer, reused"
        );
    }

    #[test]
    fn a_stored_hash_asking_for_too_much_memory_is_refused() {
        let huge = "$argon2id$v=19$m=4000000,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";
        let mut scratch = Scratch::default();
        assert!(!verify_in("anything", huge, &mut scratch));
        assert!(scratch.0.is_empty(), "nothing was allocated");
    }

    #[test]
    fn two_hashes_of_one_password_differ_by_their_salt() {
        assert_ne!(
            hash("correct horse battery").unwrap(),
            hash("correct horse battery").unwrap()
        );
    }

    #[test]
    fn the_policy_refuses_short_long_and_repetitive_passwords() {
        assert!(check_policy("short").is_err());
        assert!(check_policy(&"ab".repeat(65)).is_err());
        assert!(check_policy("aaaaaaaaaaaaaaa").is_err());
        assert!(check_policy("长城是一道很长的墙壁啊呀").is_ok());
    }

    #[test]
    fn a_malformed_stored_hash_never_verifies() {
        assert!(!verify("anything at all", "not a phc string"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_gate_runs_a_bounded_number_at_once_and_refuses_the_overflow() {
        let gate: &'static Gate = Box::leak(Box::new(Gate::new(2)));
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..60 {
            let (running, peak) = (running.clone(), peak.clone());
            tasks.push(tokio::spawn(async move {
                gate.run(Caller::Anyone, move |_| {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(20));
                    running.fetch_sub(1, Ordering::SeqCst);
                })
                .await
            }));
        }
        let mut done = 0;
        let mut refused = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => done += 1,
                Err(Busy { retry_after_secs }) => {
                    assert_eq!(retry_after_secs, 1);
                    refused += 1;
                }
            }
        }
        assert!(peak.load(Ordering::SeqCst) <= 2, "at most two at once");
        assert!(refused > 0, "the overflow is refused");
        assert!(
            done >= 18,
            "two running and sixteen waiting get through: {done}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_trusted_caller_gets_through_while_the_open_pool_is_full() {
        let gate: &'static Gate = Box::leak(Box::new(Gate::new(1)));
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let hold = Arc::new(std::sync::Mutex::new(hold));
        let blocker = tokio::spawn(async move {
            gate.run(Caller::Anyone, move |_| {
                let _ = hold.lock().map(|h| h.recv());
            })
            .await
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(gate.run(Caller::Trusted, |_| 7).await, Ok(Some(7)));
        release.send(()).unwrap();
        assert!(blocker.await.unwrap().is_ok());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_unknown_user_is_checked_against_a_dummy_hash_and_refused() {
        assert_eq!(
            verify_bounded("anything at all".to_owned(), None, Caller::Anyone).await,
            Ok(false)
        );
        let phc = hash_bounded("correct horse battery".to_owned(), Caller::Trusted)
            .await
            .unwrap();
        assert_eq!(
            verify_bounded(
                "correct horse battery".to_owned(),
                Some(phc),
                Caller::Anyone
            )
            .await,
            Ok(true)
        );
    }
}
