'use strict';
// web-dashboard's client for inventory-api: the calls, and the fields of each answer, that the
// dashboard relies on. Exactly what the pact-js tests in test/ pin down. Node's own fetch, no
// HTTP library.

class ProductNotFound extends Error {
  constructor(id) {
    super(`inventory-api has no product ${id}`);
    this.name = 'ProductNotFound';
    this.id = id;
  }
}

class InventoryClient {
  /** @param {string} baseUrl where inventory-api answers, e.g. http://127.0.0.1:8080 */
  constructor(baseUrl, { timeoutMs = 5000 } = {}) {
    this.baseUrl = String(baseUrl).replace(/\/+$/, '');
    this.timeoutMs = timeoutMs;
  }

  async #get(path) {
    return fetch(`${this.baseUrl}${path}`, {
      headers: { Accept: 'application/json' },
      signal: AbortSignal.timeout(this.timeoutMs),
    });
  }

  /** All products, as the tiles of the dashboard's overview. */
  async listProducts() {
    const response = await this.#get('/products');
    if (!response.ok) throw new Error(`GET /products answered ${response.status}`);
    const body = await response.json();
    return body.products.map((item) => ({
      id: item.id,
      name: item.name,
      price: Number(item.price.amount),
      currency: item.price.currency,
      inStock: Boolean(item.inStock),
    }));
  }

  /** One product with its stock, for the product page. */
  async getProduct(id) {
    const response = await this.#get(`/products/${encodeURIComponent(id)}`);
    if (response.status === 404) throw new ProductNotFound(id);
    if (!response.ok) throw new Error(`GET /products/${id} answered ${response.status}`);
    const item = await response.json();
    return {
      id: item.id,
      name: item.name,
      price: Number(item.price.amount),
      currency: item.price.currency,
      available: Number(item.stock.available),
      warehouse: item.stock.warehouse,
    };
  }
}

/** The dashboard's headline: the value of the stock on hand. */
async function stockValue(client) {
  let total = 0;
  for (const summary of await client.listProducts()) {
    if (summary.inStock) {
      const product = await client.getProduct(summary.id);
      total += product.available * summary.price;
    }
  }
  return Math.round(total * 100) / 100;
}

module.exports = { InventoryClient, ProductNotFound, stockValue };
