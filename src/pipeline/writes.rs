//! The item writes of one feed run, committed in batches: an article's item is handed to the run's
//! writer and its entry goes on at once; the writer commits what it was handed in one transaction
//! when [`MAX_BATCH`] items are waiting or [`FLUSH_AFTER`] has passed since the first of them, and
//! what is left when the run's entries are done (also when the run was cut short). A kill loses at
//! most the items not yet committed — articles still in flight, which the next run fetches again
//! since they are not stored; a batch is one transaction, so it is stored whole or not at all.
//!
//! Owns: the writer task, its batching bounds and the outcome each write reports. Does not own:
//! the upsert itself (`store`), nor which entries are written (the pipeline).

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::model::Item;
use crate::store::{ItemMeta, Store, StoreError, Upsert};

/// The most items one transaction takes.
pub(super) const MAX_BATCH: usize = 32;

/// The longest an item waits for the others of its batch.
pub(super) const FLUSH_AFTER: Duration = Duration::from_millis(250);

/// What a write did: known at once, or once its batch is committed.
#[derive(Debug)]
pub(super) enum Written {
    Done(Upsert),
    Queued(oneshot::Receiver<Result<Upsert, StoreError>>),
}

impl Written {
    /// The write's outcome; waits for its batch's commit.
    pub(super) async fn outcome(self) -> Result<Upsert, StoreError> {
        match self {
            Written::Done(upsert) => Ok(upsert),
            Written::Queued(rx) => rx
                .await
                .unwrap_or_else(|_| Err(StoreError::Task("the item writer stopped".into()))),
        }
    }
}

/// One item waiting for its batch.
struct Queued {
    item: Item,
    meta: ItemMeta,
    reply: oneshot::Sender<Result<Upsert, StoreError>>,
}

/// The writer of one feed run's items.
pub(super) struct ItemWrites {
    tx: mpsc::UnboundedSender<Queued>,
    task: tokio::task::JoinHandle<()>,
}

impl ItemWrites {
    /// Starts the writer on the runtime.
    pub(super) fn start(store: Store) -> ItemWrites {
        let (tx, rx) = mpsc::unbounded_channel();
        ItemWrites {
            tx,
            task: tokio::spawn(run(store, rx)),
        }
    }

    /// Hands an item to the writer.
    pub(super) fn write(&self, item: Item, meta: ItemMeta) -> Written {
        let (reply, rx) = oneshot::channel();
        // The writer only stops once every sender is gone: the send cannot fail while `self` lives.
        let _ = self.tx.send(Queued { item, meta, reply });
        Written::Queued(rx)
    }

    /// Commits what is left and stops the writer.
    pub(super) async fn finish(self) {
        drop(self.tx);
        if let Err(e) = self.task.await {
            tracing::error!("item writer: {e}");
        }
    }
}

/// Collects batches until every sender is gone; commits each.
async fn run(store: Store, mut rx: mpsc::UnboundedReceiver<Queued>) {
    while let Some(first) = rx.recv().await {
        let deadline = tokio::time::Instant::now() + FLUSH_AFTER;
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(next)) => batch.push(next),
                Ok(None) | Err(_) => break,
            }
        }
        commit(&store, batch).await;
    }
}

/// One batch in one transaction. When the transaction fails, each item is written on its own, so
/// one bad item does not cost the others and each reports its own error.
async fn commit(store: &Store, batch: Vec<Queued>) {
    let (writes, replies): (Vec<_>, Vec<_>) = batch
        .into_iter()
        .map(|q| ((q.item, q.meta), q.reply))
        .unzip();
    let result = store
        .call(move |s| {
            let pairs: Vec<_> = writes.iter().map(|(i, m)| (i, m)).collect();
            match s.upsert_items(&pairs) {
                Ok(outcomes) => Ok(outcomes.into_iter().map(Ok).collect::<Vec<_>>()),
                Err(e) => {
                    tracing::warn!("a batch of {} items failed ({e}); one by one", pairs.len());
                    Ok(pairs.iter().map(|(i, m)| s.upsert_item(i, m)).collect())
                }
            }
        })
        .await;
    match result {
        Ok(outcomes) => {
            for (reply, outcome) in replies.into_iter().zip(outcomes) {
                let _ = reply.send(outcome);
            }
        }
        Err(e) => {
            let why = e.to_string();
            for reply in replies {
                let _ = reply.send(Err(StoreError::Task(why.clone())));
            }
        }
    }
}
